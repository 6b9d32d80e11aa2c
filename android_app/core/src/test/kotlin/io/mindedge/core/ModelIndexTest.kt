package io.mindedge.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertThrows
import org.junit.Test

class ModelIndexTest {
    private fun refused(text: String): String =
        assertThrows(SpecException::class.java) { ModelIndex.parse(text, "models/index.json") }.message!!

    @Test fun theNamesInOrder() {
        val text = """{"schema": "mindedge.app-index/1", "models": ["mobilenet_v2", "lenet"]}"""
        assertEquals(listOf("mobilenet_v2", "lenet"), ModelIndex.parse(text, "models/index.json"))
    }

    @Test fun anythingElseIsRefusedNamingTheAsset() {
        assertEquals("models/index.json: schema is 'x', this app reads 'mindedge.app-index/1'",
            refused("""{"schema": "x", "models": []}"""))
        assertEquals("models/index.json: field 'models' is missing or not a list",
            refused("""{"schema": "mindedge.app-index/1"}"""))
        assertEquals("models/index.json: models[1] is not a name",
            refused("""{"schema": "mindedge.app-index/1", "models": ["a", 3]}"""))
        assertEquals("models/index.json: a model is named twice in [a, a]",
            refused("""{"schema": "mindedge.app-index/1", "models": ["a", "a"]}"""))
        assert(refused("{not json").startsWith("models/index.json: not a model index"))
    }
}
