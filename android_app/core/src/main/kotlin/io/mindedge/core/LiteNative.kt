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

    /** A handle; IllegalArgumentException (not a .ms, wrong tensors) or IllegalStateException (the runtime). */
    @JvmStatic external fun open(model: ByteArray, threads: Int): Long

    @JvmStatic external fun inputShape(handle: Long): LongArray

    @JvmStatic external fun outputElements(handle: Long): Int

    /** One inference: [input] (the model's float32 input) -> [output] (its first output). */
    @JvmStatic external fun run(handle: Long, input: FloatArray, output: FloatArray)

    @JvmStatic external fun close(handle: Long)
}
