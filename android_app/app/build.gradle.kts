plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

// The vendor's MindSpore Lite Android package (mindspore-lite-<version>-android-aarch64.tar.gz, from
// mindspore.cn) is on no registry: unpack it and point MSLITE_ANDROID_ROOT at it (its runtime/include and
// runtime/lib/libmindspore-lite.so are used).
val msliteRoot: String = System.getenv("MSLITE_ANDROID_ROOT") ?: (findProperty("MSLITE_ANDROID_ROOT") as String?)
    ?: throw GradleException("MSLITE_ANDROID_ROOT is not set: download the MindSpore Lite Android package " +
        "(mindspore-lite-2.0.0-android-aarch64.tar.gz), unpack it and set MSLITE_ANDROID_ROOT to that folder")

android {
    namespace = "io.mindedge.demo"
    compileSdk = 34
    ndkVersion = "26.1.10909125"
    defaultConfig {
        applicationId = "io.mindedge.demo"
        minSdk = 24
        targetSdk = 34
        versionCode = 1
        versionName = "0.1.0"
        ndk { abiFilters += "arm64-v8a" }
        externalNativeBuild { cmake { arguments += listOf("-DMSLITE_ANDROID_ROOT=$msliteRoot", "-DANDROID_STL=c++_shared") } }
    }
    externalNativeBuild { cmake { path = file("src/main/cpp/CMakeLists.txt") } }
    androidResources { noCompress += "ms" } // the Lite runtime maps the model from the APK
    compileOptions { sourceCompatibility = JavaVersion.VERSION_17; targetCompatibility = JavaVersion.VERSION_17 }
    kotlinOptions { jvmTarget = "17" }
    // the Lite runtime the JNI library links is packaged beside it (AGP packages c++_shared itself)
    sourceSets { getByName("main") { jniLibs.srcDir(layout.buildDirectory.dir("liteJniLibs").get().asFile) } }
}

val copyLiteRuntime by tasks.registering(Copy::class) {
    from(file("$msliteRoot/runtime/lib")) { include("libmindspore-lite.so") }
    into(layout.buildDirectory.dir("liteJniLibs/arm64-v8a"))
}
tasks.named("preBuild") { dependsOn(copyLiteRuntime) }

dependencies { implementation(project(":core")) }
