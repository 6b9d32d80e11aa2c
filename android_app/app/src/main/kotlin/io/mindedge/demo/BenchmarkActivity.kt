package io.mindedge.demo

import android.app.Activity
import android.content.pm.PackageManager
import android.os.Build
import android.os.Bundle
import android.view.WindowManager
import android.widget.Button
import android.widget.EditText
import android.widget.TextView
import io.mindedge.core.AppBenchmark
import io.mindedge.core.BenchReport
import io.mindedge.core.Preprocessor
import java.io.File
import java.io.IOException
import java.text.SimpleDateFormat
import java.util.Date
import java.util.Locale
import java.util.TimeZone
import java.util.concurrent.Executors

/**
 * The benchmark screen of one bundled model ([EXTRA_MODEL]): [AppBenchmark] with the fields' timed runs,
 * warm-up runs and threads, on a worker thread, on the last photo of [MainActivity] (through the model's
 * own [Preprocessor]) or a tensor of zeros. The `mindedge.bench/1` report goes to
 * `getExternalFilesDir(null)/bench/` (`/sdcard/Android/data/io.mindedge.demo/files/bench/`, where
 * `mindedge results pull-app` looks); leaving the screen stops the runs, and the runs so far are saved.
 */
class BenchmarkActivity : Activity() {
    private val worker = Executors.newSingleThreadExecutor()
    @Volatile private var leaving = false

    private lateinit var loops: EditText
    private lateinit var warmup: EditText
    private lateinit var threads: EditText
    private lateinit var run: Button
    private lateinit var result: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_benchmark)
        loops = findViewById(R.id.loops)
        warmup = findViewById(R.id.warmup)
        threads = findViewById(R.id.threads)
        run = findViewById(R.id.run)
        result = findViewById(R.id.result)
        val name = intent.getStringExtra(EXTRA_MODEL)
        if (name == null) {
            result.setText(R.string.no_model_given)
            run.isEnabled = false
            return
        }
        title = getString(R.string.benchmark_of, name)
        run.setOnClickListener { start(name) }
    }

    override fun onDestroy() {
        leaving = true // polled between runs: the report of the runs so far is still written
        worker.shutdown()
        super.onDestroy()
    }

    private fun start(name: String) {
        val loopCount = number(loops, R.string.loops) ?: return
        val warmupCount = number(warmup, R.string.warmup) ?: return
        val threadCount = number(threads, R.string.threads) ?: return
        val files = getExternalFilesDir(null)
        if (files == null) {
            result.setText(R.string.no_storage)
            return
        }
        val dir = File(files, BENCH_DIR)
        val device = device()
        val version = appVersion()
        val startedAt = SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss'Z'", Locale.US)
            .apply { timeZone = TimeZone.getTimeZone("UTC") }.format(Date())
        val photo = MainActivity.photo
        val input = if (photo != null) getString(R.string.bench_input_photo, photo.width, photo.height)
        else getString(R.string.bench_input_zeros)
        busy(true)
        result.text = getString(R.string.bench_running, name, warmupCount, loopCount, threadCount)
        val models = BundledModels(assets)
        worker.execute {
            val text = try {
                val spec = models.spec(name)
                val bench = AppBenchmark(spec, models.bytes(spec), threadCount, loopCount, warmupCount)
                val tensor = photo?.let { Preprocessor(spec).tensor(it.argb, it.width, it.height) }
                    ?: FloatArray(spec.input.elements)
                val report = bench.run(tensor, device, version, startedAt, stop = { leaving || isFinishing })
                describe(report, save(report, dir), input)
            } catch (e: Exception) { // SpecException, ModelLoadException, IllegalArgumentException (the fields) ...
                failed(e)
            } catch (e: LinkageError) { // libmindedge_jni.so (or the Lite runtime) missing from the APK
                failed(e)
            } catch (e: OutOfMemoryError) {
                failed(e)
            }
            runOnUiThread {
                if (!isDestroyed) {
                    result.text = text
                    busy(false)
                }
            }
        }
    }

    private fun failed(e: Throwable): String = getString(R.string.bench_failed, e.message ?: e.javaClass.simpleName)

    /** The field's whole number, or null with a message naming the field ([label]). */
    private fun number(field: EditText, label: Int): Int? {
        val n = field.text.toString().trim().toIntOrNull()
        if (n == null) {
            result.text = getString(R.string.bad_number, getString(label))
            field.requestFocus()
        }
        return n
    }

    private fun busy(on: Boolean) {
        for (v in listOf(run, loops, warmup, threads)) v.isEnabled = !on
        if (on) window.addFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
        else window.clearFlags(WindowManager.LayoutParams.FLAG_KEEP_SCREEN_ON)
    }

    /** The report's JSON into [dir], written aside then renamed: `pull-app` never sees half a file. */
    private fun save(report: BenchReport, dir: File): File {
        if (!dir.isDirectory && !dir.mkdirs()) throw IOException(getString(R.string.cannot_save, dir.path))
        val file = File(dir, report.fileName())
        val part = File(dir, report.fileName() + ".part")
        part.writeText(report.toJson().toString(1))
        if (!part.renameTo(file)) {
            part.delete()
            throw IOException(getString(R.string.cannot_save, file.path))
        }
        return file
    }

    private fun describe(report: BenchReport, file: File, input: String): String {
        val l = report.latency
        val lines = listOf(getString(R.string.bench_result, report.spec.name, report.threads, l.runs.size, input,
            l.p50, l.p90, l.p99, l.mean, report.initMs, report.firstMs, file.path)) + report.warnings
        return lines.joinToString("\n")
    }

    @Suppress("DEPRECATION") // getPackageInfo(String, PackageInfoFlags) is API 33
    private fun appVersion(): String = try {
        packageManager.getPackageInfo(packageName, 0).versionName ?: "unknown"
    } catch (e: PackageManager.NameNotFoundException) {
        "unknown"
    }

    companion object {
        /** The bundled model's name (a `models/index.json` entry). */
        const val EXTRA_MODEL = "io.mindedge.demo.MODEL"

        /** Under getExternalFilesDir(null): host_tools/app/pull.py's BENCH_DIR. */
        private const val BENCH_DIR = "bench"

        /** The phone, as the report's `target` has it (BenchReport moves `emulated` to a boolean). */
        private fun device(): Map<String, String> = mapOf(
            "model" to Build.MODEL,
            "manufacturer" to Build.MANUFACTURER,
            "android_version" to Build.VERSION.RELEASE,
            "sdk_int" to Build.VERSION.SDK_INT.toString(),
            "abi" to (Build.SUPPORTED_ABIS.firstOrNull() ?: ""),
            "emulated" to (Build.FINGERPRINT.contains("generic") || Build.PRODUCT.contains("sdk")).toString(),
        )
    }
}
