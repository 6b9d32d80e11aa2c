// mindedge demo app: `app` (Android, Kotlin + JNI over MindSpore Lite) and `core` (pure Kotlin/JVM, no Android).
pluginManagement {
    repositories { google(); mavenCentral(); gradlePluginPortal() }
}
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories { google(); mavenCentral() }
}
rootProject.name = "mindedge-demo"
include(":core", ":app")
