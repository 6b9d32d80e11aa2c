package io.mindedge.core

/**
 * ARGB pixels (what Android's `Bitmap.getPixels` returns: `0xAARRGGBB` per pixel, row-major) -> the model's
 * float32 input, exactly as the host prepares photos (`host_tools/data/preprocess.py`, `predict.GreyPreprocess`):
 *
 * 1. grey models: Pillow's `L` conversion, `(R*19595 + G*38470 + B*7471 + 0x8000) >> 16`; alpha is ignored;
 * 2. the shorter side resized to `resize` (the longer one to `resize * long / short`, floored) with Pillow's
 *    bilinear filter ([PillowResize]); an image whose shorter side is already `resize` is left as it is;
 * 3. centre crop `crop` x `crop` (left `(w - crop) / 2`, top `(h - crop) / 2`);
 * 4. `(x * scale - mean) / std` per channel in float32, RGB order, in the model's layout (NHWC or NCHW).
 */
class Preprocessor(private val spec: ModelSpec) {
    private val pre = spec.preprocess
    private val channels = if (pre.grey) 1 else 3

    /** (w, h) after step 2 for a [width] x [height] image. */
    fun resizedSize(width: Int, height: Int): Pair<Int, Int> =
        if (width <= height) Pair(pre.resize, (pre.resize.toLong() * height / width).toInt())
        else Pair((pre.resize.toLong() * width / height).toInt(), pre.resize)

    /** 8-bit channel values, interleaved ([channels] per pixel), after steps 1-3. */
    fun pixels(argb: IntArray, width: Int, height: Int): IntArray {
        require(width >= 1 && height >= 1 && argb.size == width * height) {
            "${argb.size} pixels do not make a $width x $height image"
        }
        val planes = IntArray(width * height * channels)
        for (i in argb.indices) {
            val p = argb[i]
            val r = (p shr 16) and 0xff
            val g = (p shr 8) and 0xff
            val b = p and 0xff
            if (pre.grey) planes[i] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) shr 16
            else { planes[i * 3] = r; planes[i * 3 + 1] = g; planes[i * 3 + 2] = b }
        }
        val (w, h) = resizedSize(width, height)
        val resized = if (w == width && h == height) planes else PillowResize.resize(planes, width, height, channels, w, h)
        val crop = pre.crop
        require(w >= crop && h >= crop) { "a $width x $height image resizes to $w x $h, smaller than the $crop crop" }
        val left = (w - crop) / 2
        val top = (h - crop) / 2
        val out = IntArray(crop * crop * channels)
        for (y in 0 until crop) {
            System.arraycopy(resized, ((y + top) * w + left) * channels, out, y * crop * channels, crop * channels)
        }
        return out
    }

    /** The model's input tensor (float32, [ModelSpec.input]'s layout) for an ARGB image. */
    fun tensor(argb: IntArray, width: Int, height: Int): FloatArray {
        val px = pixels(argb, width, height)
        val crop = pre.crop
        val out = FloatArray(px.size)
        val nchw = spec.input.layout == "NCHW"
        for (i in 0 until crop * crop) {
            for (c in 0 until channels) {
                val v = (px[i * channels + c].toFloat() * pre.scale - pre.mean[c]) / pre.std[c]
                out[if (nchw) c * crop * crop + i else i * channels + c] = v
            }
        }
        return out
    }
}
