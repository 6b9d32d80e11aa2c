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

// The parity tests read the host's vectors: `mindedge app vectors --out build/vectors` first.
tasks.test { systemProperty("mindedge.vectors", layout.buildDirectory.dir("vectors").get().asFile.path) }
