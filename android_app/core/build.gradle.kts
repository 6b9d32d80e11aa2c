// Pure Kotlin/JVM: everything the app does beyond calling Android APIs (spec, preprocessing, scores, statistics,
// the bench report). org.json is the Android platform's; on the JVM the tests use the same API
// (Debian's libandroid-json-org-java on the mindedge host, org.json here).
plugins { id("org.jetbrains.kotlin.jvm") }

kotlin { jvmToolchain(17) }

dependencies {
    compileOnly("org.json:json:20231013")
    testImplementation("org.json:json:20231013")
    testImplementation("junit:junit:4.13.2")
}

// The tests read the host's vectors (`mindedge app vectors --out core/build/vectors` first); the JNI classifier
// tests load the host build of libmindedge_jni.so: -PmindedgeJni=<checkout>/build/app_jni/libmindedge_jni.so, with
// the host Lite SDK's lib/ on LD_LIBRARY_PATH. `mindedge app test` does all of this without Gradle.
tasks.test {
    systemProperty("mindedge.vectors", layout.buildDirectory.dir("vectors").get().asFile.path)
    findProperty("mindedgeJni")?.let { systemProperty("mindedge.jni.library", it.toString()) }
}
