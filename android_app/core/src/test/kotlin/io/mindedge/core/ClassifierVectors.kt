package io.mindedge.core

import org.json.JSONObject
import java.io.File
import java.security.MessageDigest

/** The host's classifier vectors (host_tools/app/classifier_vectors.py) in `<vectors>/classifier`: the golden
 *  model and its spec, photos, and the host's top-1 and device_bench logits for each. */
object ClassifierVectors {
    val dir: File by lazy {
        File(Vectors.dir, "classifier").also {
            if (!File(it, "classifier.json").isFile) throw AssertionError("no classifier/classifier.json in ${Vectors.dir}")
        }
    }
    val doc: JSONObject by lazy { JSONObject(File(dir, "classifier.json").readText()) }
    val model: ByteArray by lazy { File(doc.getString("model")).readBytes() }
    val spec: ModelSpec by lazy { ModelSpec.parse(File(dir, doc.getString("spec")).readText(), doc.getString("spec")) }
    val threads: Int get() = doc.getInt("threads")

    fun sha256(bytes: ByteArray): String =
        MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

    /** One classifier on the golden model for a test class (closed by the caller). */
    fun open(): LiteClassifier = LiteClassifier.open(model, spec, threads)
}
