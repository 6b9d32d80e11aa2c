package io.mindedge.core

import org.junit.Assert.assertEquals
import org.junit.Test

class ScoresTest {
    @Test
    fun softmaxIsStableAndSumsToOne() {
        val p = Scores.softmax(floatArrayOf(1000f, 1001f, 999f))
        assertEquals(1.0, p.sum().toDouble(), 1e-6)
        assertEquals(0.6652409f, p[1], 1e-6f)
    }

    @Test
    fun topKIsBestFirstAndTiesKeepTheLowerIndex() {
        val top = Scores.topK(floatArrayOf(0.5f, 2f, 2f, -1f), listOf("a", "b", "c", "d"), 3)
        assertEquals(listOf("b", "c", "a"), top.map { it.label })
    }

    @Test(expected = IllegalArgumentException::class)
    fun labelsMustMatchTheOutputs() {
        Scores.topK(floatArrayOf(1f, 2f), listOf("a"), 1)
    }
}
