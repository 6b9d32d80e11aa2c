package io.mindedge.core

/** One label and its probability. */
data class Scored(val index: Int, val label: String, val score: Float)

/** Softmax and top-k over a classifier's logits. */
object Scores {
    /** Numerically stable softmax (the max is subtracted first), in double, returned as float. */
    fun softmax(logits: FloatArray): FloatArray {
        require(logits.isNotEmpty()) { "no logits" }
        val max = logits.max().toDouble()
        val exps = DoubleArray(logits.size) { Math.exp(logits[it] - max) }
        val sum = exps.sum()
        return FloatArray(logits.size) { (exps[it] / sum).toFloat() }
    }

    /** The [k] most probable labels, best first; ties keep the lower index first (as numpy's stable argsort). */
    fun topK(logits: FloatArray, labels: List<String>, k: Int): List<Scored> {
        require(labels.size == logits.size) { "${logits.size} outputs for ${labels.size} labels" }
        val p = softmax(logits)
        return p.indices.sortedWith(compareByDescending<Int> { p[it] }.thenBy { it }).take(k)
            .map { Scored(it, labels[it], p[it]) }
    }
}
