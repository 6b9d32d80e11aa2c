package io.mindedge.core

import org.json.JSONObject
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File
import javax.imageio.ImageIO

/** As TensorFlow's example app: bundled photos and the labels they must get (`golden.json`), decoded the way
 *  the app decodes (an image decoder's ARGB pixels; `ImageIO` here, `BitmapFactory` on the phone), then
 *  through the app's whole path. */
class GoldenPhotoTest {
    private val golden = JSONObject(javaClass.getResource("/golden.json")!!.readText())

    @Test fun eachBundledPhotoGetsItsLabels() {
        val photos = golden.getJSONArray("photos")
        assertEquals(ClassifierVectors.spec.name, golden.getString("model"))
        ClassifierVectors.open().use { classifier ->
            for (i in 0 until photos.length()) {
                val p = photos.getJSONObject(i)
                val file = File(ClassifierVectors.dir, p.getString("file"))
                assertEquals("${file.name} is the bundled photo", p.getString("sha256"), ClassifierVectors.sha256(file.readBytes()))
                val img = ImageIO.read(file)
                val argb = img.getRGB(0, 0, img.width, img.height, null, 0, img.width)
                val hostArgb = Vectors.ints("classifier/${file.nameWithoutExtension}.argb")
                assertArrayEquals("${file.name}: decoded as the host decodes it", hostArgb, argb)
                val top = classifier.classify(argb, img.width, img.height, 3).top.map { it.label }
                val names = p.getJSONObject("names")
                val what = top.joinToString { "$it ${names.optString(it, "")}".trim() }
                val top1 = p.getJSONArray("top1").let { a -> List(a.length()) { a.getString(it) } }
                assertTrue("${p.getString("what")}: top-1 ${top[0]} not in $top1 (top 3: $what)", top[0] in top1)
                if (p.has("top3_within")) {
                    val within = p.getJSONArray("top3_within").let { a -> List(a.length()) { a.getString(it) } }
                    assertTrue("${p.getString("what")}: top 3 $what not all in $within", top.all { it in within })
                }
            }
        }
    }
}
