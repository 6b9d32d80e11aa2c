package io.mindedge.core

/** The JNI functions of `libmindedge_jni.so` (android_app/app/src/main/cpp): device_bench's model loading and
 *  Predict over MindSpore Lite. On the phone the library comes from the APK; on the JVM (the host's tests)
 *  the system property `mindedge.jni.library` names the host build. Use [LiteClassifier], not this. */
internal object LiteNative {
    init {
        val path = System.getProperty("mindedge.jni.library")
        if (path != null) System.load(path) else System.loadLibrary("mindedge_jni")
    }

    @JvmStatic external fun version(): String

    /** A handle; IllegalArgumentException (not a .ms, wrong tensors) or IllegalStateException (the runtime).
     *  [sha256] is the bytes' checksum, checked by the caller: it keys the native pool of built models. */
    @JvmStatic external fun open(model: ByteArray, threads: Int, sha256: String): Long

    /** True when [open] handed out a model built earlier in this process (the native side pools built models:
     *  MindSpore Lite 2.0 cannot rebuild an fp16 model it freed), so no Build ran. */
    @JvmStatic external fun reused(handle: Long): Boolean

    @JvmStatic external fun inputShape(handle: Long): LongArray

    @JvmStatic external fun outputElements(handle: Long): Int

    /** One inference: [input] (the model's float32 input) -> [output] (its first output). */
    @JvmStatic external fun run(handle: Long, input: FloatArray, output: FloatArray)

    /** Hands the model back to the native pool (it stays built for the next [open] of the same bytes). */
    @JvmStatic external fun close(handle: Long)
}
