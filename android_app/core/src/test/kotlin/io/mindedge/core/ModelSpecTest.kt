package io.mindedge.core

import org.json.JSONArray
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test

class ModelSpecTest {
    private fun good(): JSONObject = JSONObject(Vectors.doc.getJSONArray("cases").getJSONObject(0).getJSONObject("spec").toString())

    private fun fails(doc: JSONObject, vararg words: String) {
        val e = assertThrows(SpecException::class.java) { ModelSpec.parse(doc.toString(), "assets/m.json") }
        for (w in words) assertTrue("'${e.message}' should say '$w'", e.message!!.contains(w))
    }

    @Test
    fun theHostsSpecParses() {
        val s = ModelSpec.parse(good().toString(), "v")
        assertEquals(10, s.labels.size)
        assertEquals(s.preprocess.crop, s.input.height)
    }

    @Test
    fun aMissingFieldIsNamed() {
        fails(good().apply { getJSONObject("preprocess").remove("mean") }, "assets/m.json", "preprocess.mean")
        fails(good().apply { remove("sha256") }, "'sha256'")
        fails(good().apply { getJSONObject("input").remove("shape") }, "input.shape")
    }

    @Test
    fun labelsOfTheWrongCountAreRefused() {
        fails(good().put("labels", JSONArray(listOf("cat", "dog"))), "2 labels for 10 output classes")
    }

    @Test
    fun anInputThatDoesNotFitThePreprocessingIsRefused() {
        fails(good().apply { getJSONObject("input").put("shape", JSONArray(listOf(1, 7, 7, 3))) }, "preprocess makes")
        fails(good().apply { getJSONObject("preprocess").put("interpolation", "bicubic") }, "bilinear")
        fails(good().put("schema", "mindedge.app-spec/9"), "mindedge.app-spec/1")
    }

    @Test
    fun notJsonIsRefused() {
        val e = assertThrows(SpecException::class.java) { ModelSpec.parse("{\"schema\": ", "assets/m.json") }
        assertTrue(e.message!!.startsWith("assets/m.json: not a JSON object"))
    }
}
