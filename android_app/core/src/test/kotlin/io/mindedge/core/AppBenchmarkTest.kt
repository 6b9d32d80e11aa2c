package io.mindedge.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test

/** The benchmark screen's loop on the golden model: the phases and what each timed run covers. */
class AppBenchmarkTest {
    private val v = ClassifierVectors
    private val input = FloatArray(v.spec.input.elements) { 0.1f }

    @Test fun eachTimedRunIsOneInferenceBetweenTwoClockReadings() {
        var ticks = 0L
        val clock = { ticks += 1_000_000L; ticks } // every reading 1 ms after the previous one
        val report = AppBenchmark(v.spec, v.model, 2, 5, 3, clock).run(input, mapOf("model" to "jvm"), "0.1.0", "t")
        assertEquals(List(5) { 1.0 }, report.latency.runs)
        assertEquals(1.0, report.initMs, 0.0)
        assertEquals(1.0, report.firstMs, 0.0)
        val doc = report.toJson()
        assertEquals("mindedge.bench/1", doc.getString("schema"))
        assertEquals(false, doc.getBoolean("interrupted"))
        assertEquals(3, doc.getJSONObject("config").getInt("warmup"))
    }

    @Test fun stoppingKeepsTheRunsSoFarAndSaysSo() {
        var polls = 0
        val report = AppBenchmark(v.spec, v.model, 1, 10, 0).run(input, emptyMap(), "0.1.0", "t") { ++polls > 3 }
        assertEquals(3, report.latency.runs.size)
        assertTrue(report.latency.runs.all { it > 0 })
        assertEquals(true, report.toJson().getBoolean("interrupted"))
        assertTrue(report.warnings.toString(), "stopped after 3 of 10 timed runs" in report.warnings)
    }

    @Test fun aSecondRunOnAModelBuiltEarlierSaysItsInitIsNoLoad() {
        val bench = AppBenchmark(v.spec, v.model, 4, 2, 0)
        bench.run(input, emptyMap(), "0.1.0", "t")
        val again = bench.run(input, emptyMap(), "0.1.0", "t")
        assertTrue(again.warnings.toString(),
            "the model was already built in this process: init_ms is not a load" in again.warnings)
    }

    @Test fun badSettingsAreRefused() {
        assertThrows(IllegalArgumentException::class.java) { AppBenchmark(v.spec, v.model, 1, 0, 0) }
        assertThrows(IllegalArgumentException::class.java) { AppBenchmark(v.spec, v.model, 0, 1, 0) }
    }
}
