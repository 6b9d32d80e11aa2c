package io.mindedge.core

import java.security.MessageDigest

/** A bundled model cannot be used: [message] names the asset and what is wrong with it. */
class ModelLoadException(message: String, cause: Throwable? = null) : Exception(message, cause)

/** What one photo gave: the best labels, the raw scores and the time of the inference alone. */
class Classification(val top: List<Scored>, val logits: FloatArray, val inferenceMs: Double)

/**
 * The app's inference path: ARGB pixels -> [Preprocessor] -> JNI -> MindSpore Lite -> softmax/top-k. The
 * Activities and the host's JVM tests use this very class. Not thread-safe: one classifier per thread.
 */
class LiteClassifier private constructor(private var handle: Long, val spec: ModelSpec, val threads: Int) :
    AutoCloseable {
    private val preprocessor = Preprocessor(spec)

    /** This open took a model built earlier in the process (no Build ran: see [LiteNative.reused]). */
    val reused: Boolean = LiteNative.reused(handle)
    private val output = FloatArray(spec.classes)

    /** The model's first output (logits) for [input], a tensor in the spec's layout. */
    fun logits(input: FloatArray): FloatArray {
        run(input)
        return output.copyOf()
    }

    /** One inference into this classifier's output buffer (the benchmark's timed call). */
    fun run(input: FloatArray) {
        check(handle != 0L) { "${spec.name}: the classifier is closed" }
        LiteNative.run(handle, input, output)
    }

    /** Classify an ARGB image; [Classification.inferenceMs] times the JNI call, not the preprocessing. */
    fun classify(argb: IntArray, width: Int, height: Int, k: Int = 3): Classification {
        val input = preprocessor.tensor(argb, width, height)
        val t0 = System.nanoTime()
        run(input)
        val ms = (System.nanoTime() - t0) / 1e6
        val logits = output.copyOf()
        return Classification(Scores.topK(logits, spec.labels, minOf(k, spec.classes)), logits, ms)
    }

    override fun close() {
        if (handle != 0L) LiteNative.close(handle)
        handle = 0L
    }

    companion object {
        /** The MindSpore Lite version the runtime reports (the PyPI wheel's reports none). */
        fun liteVersion(): String = LiteNative.version().ifEmpty { "MindSpore Lite (version not reported)" }

        /** Load [model] (the bytes of asset `spec.file`) after checking them against [spec]: size, sha256, then
         *  the runtime's own view of the tensors. ModelLoadException naming the asset on any mismatch. */
        fun open(model: ByteArray, spec: ModelSpec, threads: Int = 2): LiteClassifier {
            val where = "model asset ${spec.file}"
            if (model.size.toLong() != spec.bytes) {
                throw ModelLoadException("$where has ${model.size} bytes, its spec says ${spec.bytes} " +
                    "(truncated or replaced: run `mindedge app assets` again)")
            }
            val sha = MessageDigest.getInstance("SHA-256").digest(model).joinToString("") { "%02x".format(it) }
            if (sha != spec.sha256) {
                throw ModelLoadException("$where: sha256 $sha differs from its spec's ${spec.sha256}")
            }
            val handle = try {
                LiteNative.open(model, threads, sha)
            } catch (e: IllegalArgumentException) {
                throw ModelLoadException("$where: ${e.message}", e)
            } catch (e: IllegalStateException) {
                throw ModelLoadException("$where: ${e.message}", e)
            }
            val classifier = LiteClassifier(handle, spec, threads)
            try {
                val shape = LiteNative.inputShape(handle).map { it.toInt() }
                if (shape != spec.input.shape.toList()) {
                    throw ModelLoadException("$where: the model's input is $shape, its spec says " +
                        "${spec.input.shape.toList()} (${spec.input.layout})")
                }
                val outputs = LiteNative.outputElements(handle)
                if (outputs != spec.classes) {
                    throw ModelLoadException("$where: the model gives $outputs scores for ${spec.classes} labels")
                }
            } catch (e: ModelLoadException) {
                classifier.close()
                throw e
            }
            return classifier
        }
    }
}
