package io.mindedge.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/** The app's preprocessing equals the host's on real photos and digits (the host's vectors), within 1e-6. */
class PreprocessorParityTest {
    @Test
    fun everyVectorMatchesTheHostWithin1e6() {
        val cases = Vectors.doc.getJSONArray("cases")
        assertTrue("too few vectors: ${cases.length()}", cases.length() >= 10)
        val kinds = mutableSetOf<String>()
        for (i in 0 until cases.length()) {
            val c = cases.getJSONObject(i)
            val name = c.getString("name")
            val spec = ModelSpec.parse(c.getJSONObject("spec").toString(), name)
            kinds += (if (spec.preprocess.grey) "grey" else "rgb") + "/" + spec.input.layout
            val got = Preprocessor(spec).tensor(Vectors.ints(c.getString("argb")), c.getInt("width"), c.getInt("height"))
            val want = Vectors.floats(c.getString("expected"))
            assertEquals("$name: tensor size", want.size, got.size)
            var worst = 0.0
            var at = -1
            for (j in want.indices) {
                val d = Math.abs(got[j].toDouble() - want[j].toDouble())
                if (d > worst) { worst = d; at = j }
            }
            assertTrue("$name (${c.getString("source")}): max |app - host| = $worst at $at", worst <= 1e-6)
        }
        assertTrue("vectors cover rgb NHWC/NCHW and grey: $kinds", kinds.containsAll(listOf("rgb/NHWC", "rgb/NCHW", "grey/NHWC")))
    }

    @Test
    fun resizedSizeFloorsTheLongerSideAsTheHost() {
        val spec = ModelSpec.parse(Vectors.doc.getJSONArray("cases").getJSONObject(0).getJSONObject("spec").toString(), "v")
        val p = Preprocessor(spec)
        val r = spec.preprocess.resize
        assertEquals(Pair(r, r * 333 / 200), p.resizedSize(200, 333))
        assertEquals(Pair(r * 333 / 200, r), p.resizedSize(333, 200))
    }
}
