package io.mindedge.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Test

class PillowResizeTest {
    @Test
    fun sameSizeIsACopy() {
        val src = IntArray(12) { it * 20 }
        assertArrayEquals(src, PillowResize.resize(src, 2, 2, 3, 2, 2))
    }

    @Test
    fun aFlatImageStaysFlatAtAnySize() {
        for (v in listOf(0, 137, 255)) { // 255: the fixed-point sum lands just above 255 << 22 and is clipped
            val src = IntArray(7 * 5) { v }
            for ((w, h) in listOf(3 to 2, 14 to 10, 7 to 11, 1 to 1)) {
                val out = PillowResize.resize(src, 7, 5, 1, w, h)
                assertEquals(w * h, out.size)
                out.forEach { assertEquals(v, it) }
            }
        }
    }

    @Test
    fun halvingAveragesPairsAsPillow() {
        // Pillow 12: Image.frombytes("L", (4, 1), bytes([0, 100, 200, 250])).resize((2, 1), BILINEAR) -> [71, 207]
        // (shrinking by 2 widens the triangle to 2 source pixels: weights 3/7, 3/7, 1/7 for the first output)
        assertArrayEquals(intArrayOf(71, 207), PillowResize.resize(intArrayOf(0, 100, 200, 250), 4, 1, 1, 2, 1))
    }
}
