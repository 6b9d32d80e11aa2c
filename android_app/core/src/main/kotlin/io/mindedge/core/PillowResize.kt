package io.mindedge.core

/**
 * Pillow's `Image.resize(size, Image.BILINEAR)` on 8-bit channels, bit for bit: the host preprocesses with
 * Pillow (`host_tools/data/preprocess.py`), so the app must resize exactly as Pillow's `Resample.c` does.
 *
 * Separable, horizontal pass first, then vertical. Per output index the filter support is 1 source pixel,
 * widened by the scale when shrinking (an antialiasing triangle filter); the weights are computed in
 * double, normalized to sum 1, then turned into 22-bit fixed point (`PRECISION_BITS = 32 - 8 - 2`); each
 * output is `clip8((1 << 21) + sum(pixel * weight)) >> 22`. A dimension whose size does not change is not
 * resampled. Pillow keeps RGB as 4 bytes per pixel and resamples each channel alone; so does this.
 */
object PillowResize {
    private const val PRECISION_BITS = 32 - 8 - 2

    private class Coeffs(val ksize: Int, val bounds: IntArray, val kk: IntArray)

    private fun bilinear(x: Double): Double {
        val a = if (x < 0.0) -x else x
        return if (a < 1.0) 1.0 - a else 0.0
    }

    private fun coeffs(inSize: Int, outSize: Int): Coeffs {
        val scale = inSize.toDouble() / outSize
        val filterscale = if (scale < 1.0) 1.0 else scale
        val support = 1.0 * filterscale
        val ksize = Math.ceil(support).toInt() * 2 + 1
        val bounds = IntArray(outSize * 2)
        val kk = IntArray(outSize * ksize)
        val k = DoubleArray(ksize)
        for (xx in 0 until outSize) {
            val center = (xx + 0.5) * scale
            val ss = 1.0 / filterscale
            var xmin = (center - support + 0.5).toInt() // C's (int) truncates toward zero, as Kotlin's toInt
            if (xmin < 0) xmin = 0
            var xmax = (center + support + 0.5).toInt()
            if (xmax > inSize) xmax = inSize
            xmax -= xmin
            var ww = 0.0
            for (x in 0 until xmax) {
                val w = bilinear((x + xmin - center + 0.5) * ss)
                k[x] = w
                ww += w
            }
            for (x in 0 until ksize) {
                val v = if (x < xmax) (if (ww != 0.0) k[x] / ww else k[x]) else 0.0
                kk[xx * ksize + x] = if (v < 0) (-0.5 + v * (1 shl PRECISION_BITS)).toInt()
                else (0.5 + v * (1 shl PRECISION_BITS)).toInt()
            }
            bounds[xx * 2] = xmin
            bounds[xx * 2 + 1] = xmax
        }
        return Coeffs(ksize, bounds, kk)
    }

    private fun clip8(v: Int): Int {
        val s = v shr PRECISION_BITS
        return if (s < 0) 0 else if (s > 255) 255 else s
    }

    /** [src]: [channels] interleaved 8-bit planes of [width] x [height] (values 0..255), row-major.
     *  Returns the [outWidth] x [outHeight] image in the same layout. */
    fun resize(src: IntArray, width: Int, height: Int, channels: Int, outWidth: Int, outHeight: Int): IntArray {
        require(src.size == width * height * channels) { "image of ${src.size} values is not $width x $height x $channels" }
        require(outWidth >= 1 && outHeight >= 1) { "cannot resize to $outWidth x $outHeight" }
        var img = src
        var w = width
        var h = height
        val vert = coeffs(height, outHeight)
        val needH = outWidth != width
        val needV = outHeight != height
        var vBounds = vert.bounds
        if (needH) {
            // only the source rows the vertical pass reads, as Pillow does (the result is the same)
            val first = vert.bounds[0]
            val last = vert.bounds[outHeight * 2 - 2] + vert.bounds[outHeight * 2 - 1]
            vBounds = IntArray(vert.bounds.size) { if (it % 2 == 0) vert.bounds[it] - first else vert.bounds[it] }
            val hc = coeffs(width, outWidth)
            val rows = last - first
            val out = IntArray(outWidth * rows * channels)
            for (yy in 0 until rows) {
                val row = (yy + first) * w * channels
                for (xx in 0 until outWidth) {
                    val xmin = hc.bounds[xx * 2]
                    val xmax = hc.bounds[xx * 2 + 1]
                    val kb = xx * hc.ksize
                    for (c in 0 until channels) {
                        var ss = 1 shl (PRECISION_BITS - 1)
                        for (x in 0 until xmax) ss += img[row + (x + xmin) * channels + c] * hc.kk[kb + x]
                        out[(yy * outWidth + xx) * channels + c] = clip8(ss)
                    }
                }
            }
            img = out
            w = outWidth
            h = rows
        }
        if (!needV) {
            if (!needH) return img.copyOf()
            return img // rows == height when the height does not change
        }
        val out = IntArray(w * outHeight * channels)
        for (yy in 0 until outHeight) {
            val ymin = vBounds[yy * 2]
            val ymax = vBounds[yy * 2 + 1]
            val kb = yy * vert.ksize
            for (xx in 0 until w) {
                for (c in 0 until channels) {
                    var ss = 1 shl (PRECISION_BITS - 1)
                    for (y in 0 until ymax) ss += img[((y + ymin) * w + xx) * channels + c] * vert.kk[kb + y]
                    out[(yy * w + xx) * channels + c] = clip8(ss)
                }
            }
        }
        check(h >= 1)
        return out
    }
}
