package io.mindedge.core

import org.json.JSONArray
import org.json.JSONObject

/** What the app's benchmark screen measured: the `mindedge.bench/1` document device_bench writes (the host's
 *  `results pull-app` stores it like any other result), with target kind `app`. */
data class BenchReport(
    val spec: ModelSpec,
    val device: Map<String, String>, // model, manufacturer, android_version, abi, ... (Build.* on the phone)
    val threads: Int,
    val loops: Int,
    val warmup: Int,
    val initMs: Double,
    val firstMs: Double,
    val latency: LatencyStats,
    val appVersion: String,
    val startedAt: String, // ISO-8601
    val warnings: List<String> = emptyList(),
    val interrupted: Boolean = false, // stopped before all `loops` timed runs (the runs so far are kept)
) {
    fun toJson(): JSONObject {
        val target = JSONObject().put("kind", "app").put("emulated", device["emulated"] == "true")
        for ((k, v) in device) if (k != "emulated") target.put(k, v)
        val input = JSONObject().put("name", spec.input.name).put("shape", JSONArray(spec.input.shape.toList()))
            .put("dtype", spec.input.dtype).put("layout", spec.input.layout)
        val model = JSONObject().put("path", spec.file).put("sha256", spec.sha256).put("bytes", spec.bytes)
            .put("inputs", JSONArray().put(input))
        val lat = JSONObject().put("runs", JSONArray(latency.runs)).put("min", latency.min).put("p50", latency.p50)
            .put("p90", latency.p90).put("p99", latency.p99).put("mean", latency.mean).put("std", latency.std)
            .put("max", latency.max)
        return JSONObject()
            .put("schema", "mindedge.bench/1")
            .put("tool_version", "mindedge-app/$appVersion")
            .put("target", target)
            .put("model", model)
            .put("config", JSONObject().put("threads", threads).put("loops", loops).put("warmup", warmup)
                .put("path", "kotlin -> jni -> mindspore lite"))
            .put("init_ms", initMs)
            .put("first_ms", firstMs)
            .put("latency_ms", lat)
            .put("memory", JSONObject())
            .put("throughput_ips", if (latency.mean > 0) 1000.0 / latency.mean else JSONObject.NULL)
            .put("interrupted", interrupted)
            .put("warnings", JSONArray(warnings))
            .put("started_at", startedAt)
            .put("app", JSONObject().put("model_name", spec.name).put("version", appVersion))
    }

    /** The file name the app writes into its files folder (`bench/<name>-<started_at>.json`). */
    fun fileName(): String = "${spec.name}-${startedAt.replace(Regex("[^0-9A-Za-z]"), "")}.json"
}
