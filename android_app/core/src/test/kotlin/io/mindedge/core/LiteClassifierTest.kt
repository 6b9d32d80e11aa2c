package io.mindedge.core

import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.BeforeClass
import org.junit.Test

/** The JNI classifier (Kotlin -> libmindedge_jni -> device_bench's Runner -> MindSpore Lite) on real photos:
 *  the host's top-1 on every one and device_bench's logits within 1e-5; bad models refused naming the asset. */
class LiteClassifierTest {
    companion object {
        private lateinit var classifier: LiteClassifier
        private val v = ClassifierVectors

        @BeforeClass @JvmStatic fun open() { classifier = v.open() }

        @AfterClass @JvmStatic fun close() { classifier.close() }
    }

    private fun refused(model: ByteArray, spec: ModelSpec): String =
        assertThrows(ModelLoadException::class.java) { LiteClassifier.open(model, spec, 1).close() }.message!!

    @Test fun everyPhotoGivesTheHostsTop1AndDeviceBenchLogits() {
        val cases = v.doc.getJSONArray("cases")
        assertTrue("at least 7 photos", cases.length() >= 7)
        for (i in 0 until cases.length()) {
            val c = cases.getJSONObject(i)
            val name = c.getString("name")
            val argb = Vectors.ints("classifier/" + c.getString("argb"))
            val expected = Vectors.floats("classifier/" + c.getString("logits"))
            val got = classifier.classify(argb, c.getInt("width"), c.getInt("height"))
            assertEquals("$name: logits", expected.size, got.logits.size)
            val worst = expected.indices.maxOf { Math.abs(expected[it] - got.logits[it]).toDouble() }
            assertTrue("$name: max |logit - device_bench's| = $worst > 1e-5", worst <= 1e-5)
            assertEquals("$name: top-1 against mindedge predict's", c.getInt("host_top1"), got.top[0].index)
            assertTrue("$name: inference time ${got.inferenceMs}", got.inferenceMs > 0)
        }
    }

    @Test fun aTruncatedModelIsRefusedByTheRuntimeChecksNamingTheAsset() {
        val cut = v.model.copyOf(v.model.size / 3)
        val msg = refused(cut, v.spec.copy(bytes = cut.size.toLong(), sha256 = v.sha256(cut)))
        assertTrue(msg, msg.startsWith("model asset ${v.spec.file}: the model ") && "truncated" in msg)
    }

    @Test fun bytesThatAreNotAModelAreRefused() {
        val junk = ByteArray(4096) { (it * 31).toByte() }
        val msg = refused(junk, v.spec.copy(bytes = junk.size.toLong(), sha256 = v.sha256(junk)))
        assertTrue(msg, msg.startsWith("model asset ${v.spec.file}: the model ") && "MindSpore Lite" in msg)
    }

    @Test fun aModelThatIsNotTheOneItsSpecDescribesIsRefusedBeforeLoading() {
        val short = v.model.copyOf(v.model.size - 1)
        assertTrue(refused(short, v.spec).contains("has ${short.size} bytes, its spec says ${v.spec.bytes} (truncated"))
        val changed = v.model.copyOf().also { it[it.size / 2] = (it[it.size / 2] + 1).toByte() }
        assertTrue(refused(changed, v.spec).contains("sha256 ${v.sha256(changed)} differs"))
    }

    @Test fun aSpecWhoseLabelsOrInputDoNotFitTheModelIsRefused() {
        val fewer = v.spec.copy(classes = 999, labels = v.spec.labels.take(999))
        assertTrue(refused(v.model, fewer).endsWith("the model gives 1000 scores for 999 labels"))
        val small = v.spec.copy(input = v.spec.input.copy(shape = intArrayOf(1, 160, 160, 3)))
        val msg = refused(v.model, small)
        assertTrue(msg, msg.contains("the model's input is [1, 224, 224, 3], its spec says [1, 160, 160, 3]"))
    }

    @Test fun aWrongInputSizeAndAClosedClassifierAreClearErrors() {
        val e = assertThrows(IllegalArgumentException::class.java) { classifier.run(FloatArray(10)) }
        assertEquals("the input has 10 floats, the model takes ${v.spec.input.elements}", e.message)
        val other = v.open()
        other.close()
        other.close() // twice is harmless
        assertThrows(IllegalStateException::class.java) { other.run(FloatArray(v.spec.input.elements)) }
    }

    @Test fun aModelOpensAgainAfterItWasClosed() {
        // the benchmark screen opens its own classifier on every run; switching models closes and reopens
        val input = FloatArray(v.spec.input.elements) { 0.25f }
        val first = v.open().use { it.logits(input) }
        repeat(3) { round ->
            val again = v.open().use { it.logits(input) }
            assertTrue("reopen $round: same logits", first.contentEquals(again))
        }
    }

    @Test fun theLibraryReportsItsLiteVersion() {
        assertTrue(LiteClassifier.liteVersion(), LiteClassifier.liteVersion().startsWith("MindSpore Lite "))
    }
}
