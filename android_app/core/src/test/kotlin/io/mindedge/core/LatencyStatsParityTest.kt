package io.mindedge.core

import org.junit.Assert.assertEquals
import org.junit.Test

/** The app's latency statistics equal the host's (and device_bench's) on the host's vector. */
class LatencyStatsParityTest {
    @Test
    fun statisticsMatchTheHost() {
        val lat = Vectors.doc.getJSONObject("latency")
        val runs = lat.getJSONArray("runs").let { a -> List(a.length()) { a.getDouble(it) } }
        val s = LatencyStats.of(runs)
        for ((key, got) in listOf("min" to s.min, "p50" to s.p50, "p90" to s.p90, "p99" to s.p99, "mean" to s.mean,
                                  "std" to s.std, "max" to s.max)) {
            assertEquals(key, lat.getDouble(key), got, 1e-12)
        }
    }

    @Test
    fun percentilesInterpolate() {
        val sorted = listOf(1.0, 2.0, 3.0, 4.0)
        assertEquals(2.5, LatencyStats.percentileSorted(sorted, 50.0), 0.0)
        assertEquals(3.7, LatencyStats.percentileSorted(sorted, 90.0), 1e-12)
    }
}
