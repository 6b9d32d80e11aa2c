package io.mindedge.core

import org.junit.Assert.assertEquals
import org.junit.Test

class BenchReportTest {
    @Test
    fun theReportIsABenchDocument() {
        val spec = ModelSpec.parse(Vectors.doc.getJSONArray("cases").getJSONObject(0).getJSONObject("spec").toString(), "v")
        val lat = LatencyStats.of(listOf(2.0, 1.0, 3.0))
        val report = BenchReport(spec, mapOf("model" to "Pixel 7", "abi" to "arm64-v8a"), 2, 3, 1, 12.5, 4.0, lat,
            "0.1.0", "2026-12-03T10:00:00Z")
        val doc = report.toJson()
        assertEquals("mindedge.bench/1", doc.getString("schema"))
        assertEquals("app", doc.getJSONObject("target").getString("kind"))
        assertEquals(spec.sha256, doc.getJSONObject("model").getString("sha256"))
        assertEquals(2.0, doc.getJSONObject("latency_ms").getDouble("p50"), 0.0)
        assertEquals(3, doc.getJSONObject("latency_ms").getJSONArray("runs").length())
        assertEquals(2, doc.getJSONObject("config").getInt("threads"))
        // the host reads this very document back (tests/test_app_host.py: `results pull-app`)
        System.getProperty("mindedge.out")?.let { java.io.File(it, report.fileName()).writeText(doc.toString(1)) }
    }
}
