package io.mindedge.demo

import android.content.res.AssetManager
import io.mindedge.core.ModelIndex
import io.mindedge.core.ModelLoadException
import io.mindedge.core.ModelSpec
import io.mindedge.core.SpecException
import java.io.FileNotFoundException
import java.io.IOException

/**
 * The models `mindedge app assets` bundled into the APK (host_tools/app/assets.py): `assets/models/index.json`
 * (`mindedge.app-index/1`: the names in order, the first being the default) and, per name, `NAME.json` (its
 * `mindedge.app-spec/1` spec, read by [ModelSpec.parse]) and the `.ms` the spec's `file` names (stored
 * uncompressed). Reads only; every check of the bytes is [io.mindedge.core.LiteClassifier.open]'s.
 */
class BundledModels(private val assets: AssetManager) {
    /** The bundled model names, the default first; empty when nothing is bundled; SpecException for an
     *  index that is not one. */
    fun names(): List<String> {
        val text = try {
            read(INDEX)
        } catch (e: FileNotFoundException) {
            return emptyList()
        } catch (e: IOException) {
            throw SpecException("$INDEX: unreadable (${e.message})")
        }
        return ModelIndex.parse(text, INDEX)
    }

    /** The spec of model [name] (asset `models/NAME.json`); SpecException naming the asset and the field. */
    fun spec(name: String): ModelSpec {
        val where = "$DIR/$name.json"
        val text = try {
            read(where)
        } catch (e: IOException) {
            throw SpecException("$where: not in the APK (${e.message}): run `mindedge app assets` and rebuild")
        }
        return ModelSpec.parse(text, where)
    }

    /** The bytes of [spec]'s `.ms` (asset `models/FILE`), for [io.mindedge.core.LiteClassifier.open] and
     *  [io.mindedge.core.AppBenchmark], which check them against the spec. */
    fun bytes(spec: ModelSpec): ByteArray {
        val path = "$DIR/${spec.file}"
        return try {
            assets.open(path).use { it.readBytes() }
        } catch (e: IOException) {
            throw ModelLoadException("model asset $path cannot be read (${e.message})", e)
        }
    }

    private fun read(path: String): String = assets.open(path).bufferedReader().use { it.readText() }

    private companion object {
        const val DIR = "models"
        const val INDEX = "$DIR/index.json"
    }
}
