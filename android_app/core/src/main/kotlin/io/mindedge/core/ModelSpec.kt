package io.mindedge.core

import org.json.JSONArray
import org.json.JSONException
import org.json.JSONObject

/** A model asset's spec is unusable: [message] names the asset and the field. */
class SpecException(message: String) : Exception(message)

/** How a photo becomes the model's input; the host's `host_tools/data/preprocess.py` (RGB) and
 *  `predict.GreyPreprocess` (grey) define it, [Preprocessor] reproduces it bit for bit. */
data class PreprocessSpec(
    val grey: Boolean,
    val resize: Int, // the shorter side before the centre crop
    val crop: Int,
    val scale: Float,
    val mean: FloatArray, // per channel (one for grey)
    val std: FloatArray,
)

/** The input tensor the model takes. */
data class InputSpec(val name: String, val shape: IntArray, val layout: String, val dtype: String) {
    val height: Int get() = if (layout == "NHWC") shape[1] else shape[2]
    val width: Int get() = if (layout == "NHWC") shape[2] else shape[3]
    val channels: Int get() = if (layout == "NHWC") shape[3] else shape[1]
    val elements: Int get() = shape.fold(1) { a, b -> a * b }
}

/** One bundled model: its file, checksum, input, preprocessing and labels (`mindedge.app-spec/1`,
 *  written by `mindedge app assets`). */
data class ModelSpec(
    val name: String,
    val file: String,
    val sha256: String,
    val bytes: Long,
    val input: InputSpec,
    val preprocess: PreprocessSpec,
    val labels: List<String>,
    val classes: Int,
) {
    companion object {
        const val SCHEMA = "mindedge.app-spec/1"
        private const val HOST_SCALE = 1.0 / 255.0

        /** Parse [text] (the spec JSON of asset [where]); SpecException naming the first bad field. */
        fun parse(text: String, where: String): ModelSpec {
            val doc = try {
                JSONObject(text)
            } catch (e: JSONException) {
                throw SpecException("$where: not a JSON object (${e.message})")
            }
            val r = Reader(doc, where)
            val schema = r.string("schema")
            if (schema != SCHEMA) throw SpecException("$where: schema is '$schema', this app reads '$SCHEMA'")
            val input = r.obj("input")
            val shape = input.ints("shape")
            val layout = input.string("layout")
            if (layout != "NHWC" && layout != "NCHW") throw SpecException("$where: input.layout must be NHWC or NCHW, got '$layout'")
            if (shape.size != 4 || shape.any { it < 1 } || shape[0] != 1) {
                throw SpecException("$where: input.shape must be [1, H, W, C] or [1, C, H, W], got ${shape.toList()}")
            }
            val dtype = input.string("dtype")
            if (dtype != "float32") throw SpecException("$where: input.dtype must be float32, got '$dtype'")
            val inputSpec = InputSpec(input.string("name"), shape, layout, dtype)
            val pre = r.obj("preprocess")
            val color = pre.string("color")
            if (color != "rgb" && color != "grey") throw SpecException("$where: preprocess.color must be rgb or grey, got '$color'")
            val grey = color == "grey"
            val channels = if (grey) 1 else 3
            val mean = pre.floats("mean", channels)
            val std = pre.floats("std", channels)
            if (std.any { it <= 0f }) throw SpecException("$where: preprocess.std must be positive")
            val scale = pre.double("scale")
            if (Math.abs(scale - HOST_SCALE) > 1e-12) throw SpecException("$where: preprocess.scale must be 1/255, got $scale")
            val interpolation = pre.string("interpolation")
            if (interpolation != "bilinear") throw SpecException("$where: preprocess.interpolation must be bilinear, got '$interpolation'")
            val crop = pre.int("crop")
            val resize = pre.int("resize")
            if (crop < 1 || resize < crop) throw SpecException("$where: preprocess needs 1 <= crop <= resize, got crop $crop resize $resize")
            if (inputSpec.channels != channels || inputSpec.height != crop || inputSpec.width != crop) {
                throw SpecException("$where: preprocess makes $channels x $crop x $crop, the input is ${shape.toList()} ($layout)")
            }
            val labels = r.strings("labels")
            val classes = r.obj("output").int("classes")
            if (labels.size != classes) throw SpecException("$where: ${labels.size} labels for $classes output classes")
            val bytes = r.long("bytes")
            val sha = r.string("sha256")
            if (!Regex("[0-9a-f]{64}").matches(sha)) throw SpecException("$where: sha256 must be 64 hex digits")
            return ModelSpec(r.string("name"), r.string("file"), sha, bytes, inputSpec,
                PreprocessSpec(grey, resize, crop, scale.toFloat(), mean, std), labels, classes)
        }
    }
}

/** Typed field access with errors that name the field path. */
private class Reader(private val o: JSONObject, private val where: String, private val path: String = "") {
    private fun missing(key: String, what: String): SpecException =
        SpecException("$where: field '$path$key' is missing or not $what")

    private fun get(key: String, what: String): Any {
        if (!o.has(key) || o.isNull(key)) throw missing(key, what)
        return o.get(key)
    }

    fun string(key: String): String = get(key, "a string") as? String ?: throw missing(key, "a string")
    fun int(key: String): Int = (get(key, "an integer") as? Number)?.takeIf { it.toDouble() % 1.0 == 0.0 }?.toInt()
        ?: throw missing(key, "an integer")
    fun long(key: String): Long = (get(key, "an integer") as? Number)?.toLong() ?: throw missing(key, "an integer")
    fun double(key: String): Double = (get(key, "a number") as? Number)?.toDouble() ?: throw missing(key, "a number")
    fun obj(key: String): Reader = Reader(get(key, "an object") as? JSONObject ?: throw missing(key, "an object"),
        where, "$path$key.")

    private fun array(key: String, what: String): JSONArray = get(key, what) as? JSONArray ?: throw missing(key, what)

    fun ints(key: String): IntArray {
        val a = array(key, "a list of integers")
        return IntArray(a.length()) { (a.get(it) as? Number)?.toInt() ?: throw missing(key, "a list of integers") }
    }

    fun floats(key: String, n: Int): FloatArray {
        val a = array(key, "a list of $n numbers")
        if (a.length() != n) throw missing(key, "a list of $n numbers")
        return FloatArray(n) { ((a.get(it) as? Number) ?: throw missing(key, "a list of $n numbers")).toFloat() }
    }

    fun strings(key: String): List<String> {
        val a = array(key, "a list of strings")
        return List(a.length()) { a.get(it) as? String ?: throw missing(key, "a list of strings") }
    }
}
