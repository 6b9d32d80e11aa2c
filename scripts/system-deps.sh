#!/usr/bin/env bash
# Install the system packages mindedge needs (Debian/Ubuntu). As root: installs them. Otherwise: prints
# the exact apt line and stops. Idempotent: does nothing when everything is present.
set -euo pipefail

need=()
command -v cmake >/dev/null || need+=(cmake)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
# adb: the adb server the host tools and tests talk to (adbutils also bundles one). The emulated phone needs
# nothing else: /bin/sh, sha256sum (coreutils) and unprivileged user namespaces are part of the base system.
command -v adb >/dev/null || need+=(adb)
# aarch64 Linux boards: device_bench is cross-compiled against the aarch64 Lite SDK (`mindedge sdk build --arch
# aarch64`) and its tests run it, and the aarch64 Lite runtime, under qemu-user.
command -v aarch64-linux-gnu-g++ >/dev/null || need+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
# ssh boards: the OpenSSH client (ssh, scp, ssh-keygen) for the ssh: target, and the OpenSSH server that the
# emulated board runs privately as the user (`mindedge boards emulate`, the tests). mindedge never uses the
# system's sshd; on a systemd machine apt enables it: `systemctl disable --now ssh` turns it off again.
command -v ssh >/dev/null || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || command -v sshd >/dev/null || need+=(openssh-server)
# the Kotlin demo app (android_app/): its JVM parts are compiled and tested here with the JDK (kotlinc itself
# comes from the npm registry, `mindedge app toolchain`), JUnit 4 + Hamcrest, Android's org.json (the
# platform's own JSON classes, for core/ on the JVM); aapt2 and framework-res.apk link the app's manifest
# and resources (no android.jar or dexer reaches this machine, so no APK).
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
[ -f /usr/share/java/junit4.jar ] || need+=(junit4)
[ -f /usr/share/java/hamcrest.jar ] || [ -f /usr/share/java/hamcrest-core.jar ] || need+=(libhamcrest-java)
[ -f /usr/share/java/json-android.jar ] || need+=(libandroid-json-org-java)
command -v aapt2 >/dev/null || need+=(android-sdk-build-tools)
[ -f /usr/share/android-framework-res/framework-res.apk ] || need+=(android-framework-res)
# the HTML report (`mindedge report`) is checked in a real browser: headless Chromium driven by ChromeDriver
# (the tests; the report itself needs no browser to be written).
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
py="$(scripts/find-python.sh 2>/dev/null || true)"
if [ -z "$py" ]; then
  need+=(python3 python3-venv python3-dev)
elif ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  need+=(python3-venv)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
line="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q --no-install-recommends "${need[@]}"
else
  echo "mindedge needs these system packages: ${need[*]}" >&2
  echo "run as root:  sudo $line" >&2
  exit 1
fi
