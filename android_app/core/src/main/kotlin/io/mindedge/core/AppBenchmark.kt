package io.mindedge.core

/** What the benchmark screen runs: model load, a first inference, [warmup] untimed runs, then [loops] timed
 *  ones, each timed around the JNI call as the app's own inference is (the same phases as device_bench). */
class AppBenchmark(
    private val spec: ModelSpec,
    private val model: ByteArray,
    private val threads: Int,
    private val loops: Int,
    private val warmup: Int,
    private val clock: () -> Long = System::nanoTime,
) {
    init {
        require(loops >= 1) { "loops must be at least 1, got $loops" }
        require(warmup >= 0) { "warm-up must not be negative, got $warmup" }
        require(threads >= 1) { "threads must be at least 1, got $threads" }
    }

    /** Run it on [input] (the model's tensor, e.g. a photo through [Preprocessor]); [device] describes the phone
     *  (Build.* fields), [stop] is polled between runs (the user left the screen: the runs so far are kept). */
    fun run(input: FloatArray, device: Map<String, String>, appVersion: String, startedAt: String,
            stop: () -> Boolean = { false }): BenchReport {
        val t0 = clock()
        val classifier = LiteClassifier.open(model, spec, threads)
        classifier.use {
            val initMs = (clock() - t0) / 1e6
            val t1 = clock()
            it.run(input)
            val firstMs = (clock() - t1) / 1e6
            repeat(warmup) { _ -> if (!stop()) it.run(input) }
            val runs = ArrayList<Double>(loops)
            for (i in 0 until loops) {
                if (stop()) break
                val s = clock()
                it.run(input)
                runs.add((clock() - s) / 1e6)
            }
            if (runs.isEmpty()) throw IllegalStateException("stopped before the first timed run")
            val warnings = mutableListOf<String>()
            if (it.reused) warnings.add("the model was already built in this process: init_ms is not a load")
            if (runs.size < loops) warnings.add("stopped after ${runs.size} of $loops timed runs")
            return BenchReport(spec, device, threads, loops, warmup, initMs, firstMs, LatencyStats.of(runs),
                appVersion, startedAt, warnings, interrupted = runs.size < loops)
        }
    }
}
