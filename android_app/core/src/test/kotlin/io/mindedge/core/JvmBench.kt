package io.mindedge.core

import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * The benchmark screen's loop ([AppBenchmark]) on the host's JVM, for `benchmarks/app_vs_device_bench.py`:
 * `JvmBench SPEC.json MODEL.ms PHOTO.argb WIDTH HEIGHT THREADS LOOPS WARMUP OUT.json`. The photo goes through
 * the app's [Preprocessor]; each timed run is the app's inference path (Kotlin -> JNI -> MindSpore Lite).
 */
fun main(args: Array<String>) {
    require(args.size == 9) { "usage: JvmBench SPEC.json MODEL.ms PHOTO.argb WIDTH HEIGHT THREADS LOOPS WARMUP OUT.json" }
    val spec = ModelSpec.parse(File(args[0]).readText(), args[0])
    val model = File(args[1]).readBytes()
    val ints = ByteBuffer.wrap(File(args[2]).readBytes()).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer()
    val argb = IntArray(ints.remaining()).also { ints.get(it) }
    val input = Preprocessor(spec).tensor(argb, args[3].toInt(), args[4].toInt())
    val device = mapOf("model" to "host JVM " + System.getProperty("java.vm.version"), "emulated" to "false")
    val report = AppBenchmark(spec, model, args[5].toInt(), args[6].toInt(), args[7].toInt())
        .run(input, device, "jvm", java.time.Instant.now().toString())
    File(args[8]).writeText(report.toJson().toString(1))
}
