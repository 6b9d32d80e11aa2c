package io.mindedge.demo

import android.app.Activity
import android.content.ActivityNotFoundException
import android.content.Intent
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Matrix
import android.media.ExifInterface
import android.net.Uri
import android.os.Bundle
import android.provider.MediaStore
import android.view.View
import android.widget.AdapterView
import android.widget.ArrayAdapter
import android.widget.Button
import android.widget.ImageView
import android.widget.Spinner
import android.widget.TextView
import android.widget.Toast
import io.mindedge.core.LiteClassifier
import io.mindedge.core.SpecException
import java.io.IOException
import java.io.InputStream
import java.util.concurrent.Executors

/** A decoded photo: the upright bitmap shown, and its ARGB pixels (`Bitmap.getPixels`) the classifier takes. */
class Photo(val bitmap: Bitmap, val argb: IntArray) {
    val width: Int get() = bitmap.width
    val height: Int get() = bitmap.height
}

/**
 * The classifier screen: a Spinner of the bundled models ([BundledModels], the index's first by default),
 * "Pick a photo" (ACTION_GET_CONTENT image/`*`) and "Take a photo" (ACTION_IMAGE_CAPTURE), the top-3 labels
 * with their scores and the inference time; "Benchmark" opens [BenchmarkActivity] on the chosen model.
 * Loading, decoding and inference run on one worker thread, which alone touches the [LiteClassifier].
 */
class MainActivity : Activity() {
    private val worker = Executors.newSingleThreadExecutor()
    private var classifier: LiteClassifier? = null // the worker's only
    private var loadError = "" // the worker's: why [classifier] is null
    private lateinit var models: BundledModels
    private var names: List<String> = emptyList()
    private var current = -1 // the index in [names] of the model last chosen (UI thread)

    private lateinit var spinner: Spinner
    private lateinit var photoView: ImageView
    private lateinit var labels: TextView
    private lateinit var time: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        spinner = findViewById(R.id.model)
        photoView = findViewById(R.id.photo)
        labels = findViewById(R.id.labels)
        time = findViewById(R.id.time)
        val pick = findViewById<Button>(R.id.pick)
        val camera = findViewById<Button>(R.id.camera)
        val bench = findViewById<Button>(R.id.bench)

        models = BundledModels(assets)
        names = try {
            models.names()
        } catch (e: SpecException) {
            labels.text = oneLine(e)
            emptyList()
        }
        if (names.isEmpty()) {
            if (labels.text.isEmpty()) labels.setText(R.string.no_models)
            spinner.visibility = View.GONE
            for (b in listOf(pick, camera, bench)) b.isEnabled = false
            return
        }
        photo?.let { photoView.setImageBitmap(it.bitmap) } // kept over a rotation; classified once a model loads

        val start = savedInstanceState?.getInt(KEY_MODEL, 0)?.takeIf { it in names.indices } ?: 0
        spinner.adapter = ArrayAdapter(this, android.R.layout.simple_spinner_item, names).also {
            it.setDropDownViewResource(android.R.layout.simple_spinner_dropdown_item)
        }
        spinner.setSelection(start)
        spinner.visibility = if (names.size > 1) View.VISIBLE else View.GONE
        spinner.onItemSelectedListener = object : AdapterView.OnItemSelectedListener {
            override fun onItemSelected(parent: AdapterView<*>?, view: View?, position: Int, id: Long) = choose(position)
            override fun onNothingSelected(parent: AdapterView<*>?) {}
        }
        choose(start)

        pick.setOnClickListener {
            launch(Intent(Intent.ACTION_GET_CONTENT).setType("image/*").addCategory(Intent.CATEGORY_OPENABLE), PICK)
        }
        // Without AndroidX there is no FileProvider to give the camera app a file (EXTRA_OUTPUT) to write, so
        // the camera returns only its small thumbnail Bitmap in the result's extras ("data"): fine for a
        // demo, but a full-resolution photo must be taken with the camera app and picked with "Pick a photo".
        camera.setOnClickListener { launch(Intent(MediaStore.ACTION_IMAGE_CAPTURE), CAMERA) }
        bench.setOnClickListener {
            startActivity(Intent(this, BenchmarkActivity::class.java)
                .putExtra(BenchmarkActivity.EXTRA_MODEL, names[current]))
        }
    }

    override fun onSaveInstanceState(outState: Bundle) {
        super.onSaveInstanceState(outState)
        if (current >= 0) outState.putInt(KEY_MODEL, current)
    }

    override fun onDestroy() {
        worker.execute { classifier?.close(); classifier = null } // after whatever is still queued
        worker.shutdown()
        if (isFinishing) photo = null
        super.onDestroy()
    }

    /** Load model [position] (closing the previous one), then classify the current photo with it, if any. */
    private fun choose(position: Int) {
        if (position == current) return
        current = position
        val name = names[position]
        labels.text = getString(R.string.loading_model, name)
        time.text = ""
        worker.execute {
            classifier?.close()
            classifier = null
            try {
                val spec = models.spec(name)
                classifier = LiteClassifier.open(models.bytes(spec), spec, THREADS)
                val ready = getString(R.string.model_ready, spec.name, spec.classes)
                ui { labels.text = ready }
                photo?.let { classify(it) }
            } catch (e: Exception) { // SpecException, ModelLoadException (both name the asset) ...
                failed(e)
            } catch (e: LinkageError) { // libmindedge_jni.so (or the Lite runtime it needs) missing from the APK
                failed(e)
            } catch (e: OutOfMemoryError) { // the model's bytes
                failed(e)
            }
        }
    }

    /** On the worker: model loading failed with [e]; shown now, and again for each photo. */
    private fun failed(e: Throwable) {
        val why = oneLine(e)
        loadError = why
        ui { labels.text = why }
    }

    private fun launch(intent: Intent, request: Int) {
        try {
            startActivityForResult(intent, request)
        } catch (e: ActivityNotFoundException) {
            Toast.makeText(this, R.string.no_photo_app, Toast.LENGTH_LONG).show()
        }
    }

    override fun onActivityResult(requestCode: Int, resultCode: Int, data: Intent?) {
        super.onActivityResult(requestCode, resultCode, data)
        if (resultCode != RESULT_OK || data == null) return
        when (requestCode) {
            PICK -> data.data?.let { uri -> decodeAndClassify { decode(uri) } }
            CAMERA -> {
                @Suppress("DEPRECATION") // Bundle.getParcelable(String, Class) is API 33
                val thumbnail = data.extras?.get("data") as? Bitmap
                if (thumbnail == null) labels.setText(R.string.no_camera_photo)
                else decodeAndClassify { thumbnail }
            }
        }
    }

    /** On the worker: [bitmap] (a decoder) -> an opaque upright photo -> its labels. */
    private fun decodeAndClassify(bitmap: () -> Bitmap) {
        labels.setText(R.string.classifying)
        time.text = ""
        worker.execute {
            val p = try {
                val b = overWhite(bitmap())
                val argb = IntArray(b.width * b.height)
                b.getPixels(argb, 0, b.width, 0, 0, b.width, b.height)
                Photo(b, argb)
            } catch (e: IOException) {
                ui { labels.text = getString(R.string.photo_unreadable, oneLine(e)) }
                return@execute
            } catch (e: OutOfMemoryError) {
                ui { labels.setText(R.string.photo_too_large) }
                return@execute
            } catch (e: RuntimeException) { // SecurityException (the grant is gone), IllegalArgumentException ...
                ui { labels.text = getString(R.string.photo_unreadable, oneLine(e)) }
                return@execute
            }
            photo = p
            ui { photoView.setImageBitmap(p.bitmap) }
            classify(p)
        }
    }

    /** On the worker: the top 3 of [p] by the current classifier, shown with the inference time. */
    private fun classify(p: Photo) {
        val c = classifier
        if (c == null) {
            val why = getString(R.string.model_not_loaded, loadError)
            ui { labels.text = why }
            return
        }
        try {
            val result = c.classify(p.argb, p.width, p.height, 3)
            ui {
                labels.text = result.top.joinToString("\n") { getString(R.string.label_score, it.label, it.score * 100f) }
                time.text = getString(R.string.inference_time, result.inferenceMs)
            }
        } catch (e: OutOfMemoryError) {
            ui { labels.setText(R.string.photo_too_large) }
        } catch (e: RuntimeException) { // the runtime's IllegalStateException, the preprocessor's require
            ui { labels.text = oneLine(e) }
        }
    }

    /**
     * The picked image, decoded to ARGB_8888 and turned upright by its EXIF orientation (as the host's
     * `ImageOps.exif_transpose`). Above [MAX_PIXELS] it is decoded at 1/2, 1/4 ... of its size (BitmapFactory's
     * inSampleSize), its shorter side kept at [MIN_SIDE] or more: the preprocessing holds several int copies
     * of the pixels, which a 12 MP photo would not fit in a phone's Java heap. Such photos are therefore not
     * preprocessed bit for bit as the host does from the full-size file.
     */
    private fun decode(uri: Uri): Bitmap {
        val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
        open(uri).use { BitmapFactory.decodeStream(it, null, bounds) }
        val w = bounds.outWidth
        val h = bounds.outHeight
        if (w <= 0 || h <= 0) throw IOException(getString(R.string.not_an_image))
        var sample = 1
        while (w.toLong() * h / (sample.toLong() * sample) > MAX_PIXELS && minOf(w, h) / (sample * 2) >= MIN_SIDE) sample *= 2
        val options = BitmapFactory.Options().apply {
            inPreferredConfig = Bitmap.Config.ARGB_8888
            inSampleSize = sample
        }
        val bitmap = open(uri).use { BitmapFactory.decodeStream(it, null, options) }
            ?: throw IOException(getString(R.string.not_an_image))
        val orientation = try {
            open(uri).use { ExifInterface(it).getAttributeInt(ExifInterface.TAG_ORIENTATION, ExifInterface.ORIENTATION_NORMAL) }
        } catch (e: Exception) { // no EXIF (PNG ...) or a malformed one: as the host, take it as it is
            ExifInterface.ORIENTATION_NORMAL
        }
        return upright(bitmap, orientation)
    }

    private fun open(uri: Uri): InputStream =
        contentResolver.openInputStream(uri) ?: throw IOException("$uri: the provider gave no stream")

    /** On the UI thread, unless the Activity is gone by then. */
    private fun ui(block: () -> Unit) = runOnUiThread { if (!isDestroyed) block() }

    companion object {
        /** The last photo decoded here: kept over a rotation, and the benchmark's input when there is one. */
        @Volatile var photo: Photo? = null

        private const val KEY_MODEL = "model"
        private const val PICK = 1
        private const val CAMERA = 2
        private const val THREADS = 2
        private const val MAX_PIXELS = 1L shl 22 // 4 MP: about 16 bytes of Java heap per pixel while preprocessing
        private const val MIN_SIDE = 512

        private fun oneLine(e: Throwable): String = (e.message ?: e.javaClass.simpleName).lineSequence().first()

        /** [b] turned upright by EXIF [orientation] (pixel for pixel: no filtering). */
        private fun upright(b: Bitmap, orientation: Int): Bitmap {
            val m = Matrix()
            when (orientation) {
                ExifInterface.ORIENTATION_ROTATE_90 -> m.postRotate(90f)
                ExifInterface.ORIENTATION_ROTATE_180 -> m.postRotate(180f)
                ExifInterface.ORIENTATION_ROTATE_270 -> m.postRotate(270f)
                ExifInterface.ORIENTATION_FLIP_HORIZONTAL -> m.postScale(-1f, 1f)
                ExifInterface.ORIENTATION_FLIP_VERTICAL -> m.postScale(1f, -1f)
                ExifInterface.ORIENTATION_TRANSPOSE -> { m.postRotate(90f); m.postScale(-1f, 1f) }
                ExifInterface.ORIENTATION_TRANSVERSE -> { m.postRotate(270f); m.postScale(-1f, 1f) }
                else -> return b
            }
            return Bitmap.createBitmap(b, 0, 0, b.width, b.height, m, false)
        }

        /** [b] composited over white when it has transparency, as the host's decoder does (its `to_rgb`):
         *  the classifier ignores alpha, so transparent pixels would otherwise count as their hidden colour. */
        private fun overWhite(b: Bitmap): Bitmap {
            if (!b.hasAlpha()) return b
            val out = Bitmap.createBitmap(b.width, b.height, Bitmap.Config.ARGB_8888)
            Canvas(out).apply {
                drawColor(Color.WHITE)
                drawBitmap(b, 0f, 0f, null)
            }
            return out
        }
    }
}
