package io.mindedge.core

import org.json.JSONObject
import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder

/** The host's test vectors (`mindedge app vectors`, host_tools/app/vectors.py), from `-Dmindedge.vectors=DIR`. */
object Vectors {
    val dir: File by lazy {
        val path = System.getProperty("mindedge.vectors")
            ?: throw AssertionError("-Dmindedge.vectors=DIR is not set: run the tests with `mindedge app test`")
        File(path).also { if (!File(it, "vectors.json").isFile) throw AssertionError("no vectors.json in $path") }
    }
    val doc: JSONObject by lazy { JSONObject(File(dir, "vectors.json").readText()) }

    private fun buffer(name: String): ByteBuffer = ByteBuffer.wrap(File(dir, name).readBytes()).order(ByteOrder.LITTLE_ENDIAN)

    fun ints(name: String): IntArray { val b = buffer(name).asIntBuffer(); return IntArray(b.remaining()).also { b.get(it) } }

    fun floats(name: String): FloatArray { val b = buffer(name).asFloatBuffer(); return FloatArray(b.remaining()).also { b.get(it) } }
}
