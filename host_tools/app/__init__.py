"""The Kotlin demo app (``android_app/``) from the host: its JVM toolchain, its JVM build and tests, its model
assets and the test vectors that prove its preprocessing is the host's."""
