package io.mindedge.core

/** Latency statistics in ms, with device_bench's definitions (device_bench/src/stats.cc): percentiles by
 *  linear interpolation between the sorted runs at `(n - 1) * q / 100`, population standard deviation. */
data class LatencyStats(
    val runs: List<Double>,
    val min: Double,
    val p50: Double,
    val p90: Double,
    val p99: Double,
    val mean: Double,
    val std: Double,
    val max: Double,
) {
    companion object {
        fun percentileSorted(sorted: List<Double>, q: Double): Double {
            if (sorted.isEmpty()) return Double.NaN
            if (q <= 0) return sorted.first()
            if (q >= 100) return sorted.last()
            val pos = (sorted.size - 1.0) * q / 100.0
            val lo = Math.floor(pos).toInt()
            val hi = minOf(lo + 1, sorted.size - 1)
            return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
        }

        fun of(runs: List<Double>): LatencyStats {
            require(runs.isNotEmpty()) { "no timed runs" }
            val sorted = runs.sorted()
            val mean = runs.sum() / runs.size
            val std = Math.sqrt(runs.sumOf { (it - mean) * (it - mean) } / runs.size)
            return LatencyStats(runs, sorted.first(), percentileSorted(sorted, 50.0), percentileSorted(sorted, 90.0),
                percentileSorted(sorted, 99.0), mean, std, sorted.last())
        }
    }
}
