package io.mindedge.core

import org.json.JSONArray
import org.json.JSONException
import org.json.JSONObject

/** The bundled models' index (`models/index.json`, `mindedge.app-index/1`, written by `mindedge app assets`):
 *  their names in order, the first being the app's default. */
object ModelIndex {
    const val SCHEMA = "mindedge.app-index/1"

    /** The names in [text] (asset [where]); SpecException naming the asset for anything else. */
    fun parse(text: String, where: String): List<String> {
        val doc = try {
            JSONObject(text)
        } catch (e: JSONException) {
            throw SpecException("$where: not a model index (${e.message})")
        }
        val schema = doc.optString("schema")
        if (schema != SCHEMA) throw SpecException("$where: schema is '$schema', this app reads '$SCHEMA'")
        val models = doc.opt("models") as? JSONArray ?: throw SpecException("$where: field 'models' is missing or not a list")
        val names = List(models.length()) {
            (models.opt(it) as? String)?.takeIf { n -> n.isNotEmpty() } ?: throw SpecException("$where: models[$it] is not a name")
        }
        if (names.toSet().size != names.size) throw SpecException("$where: a model is named twice in $names")
        return names
    }
}
