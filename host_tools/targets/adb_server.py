"""A usable adb server: started when none runs (``ensure_server``), and recent enough for what mindedge asks
of it (``host:devices-l``, shell protocol v2, sync). Version 41 is adb 1.0.41 (platform-tools 29 to 36)."""

from __future__ import annotations

from host_tools.errors import DeviceError

VERSION_TIMEOUT_S = 10.0  # a server answers host:version at once; something else on the port may never answer
MIN_SERVER_VERSION = 39  # adb 1.0.39 (platform-tools 26, 2017): shell protocol v2 and devices -l are solid


def server_version(port: int) -> int:
    """The server's ``host:version`` (41 for adb 1.0.41)."""
    import adbutils

    try:
        return int(adbutils.AdbClient(host="127.0.0.1", port=port, socket_timeout=VERSION_TIMEOUT_S).server_version())
    except (adbutils.AdbError, OSError, ValueError) as e:
        raise DeviceError(f"the program on port {port} does not answer like an adb server: {e}",
                          hint="run `adb kill-server`, or point ANDROID_ADB_SERVER_PORT at the adb server") from e


def check_version(version: int, port: int) -> None:
    if version < MIN_SERVER_VERSION:
        raise DeviceError(
            f"the adb server on port {port} is version 1.0.{version}; mindedge needs 1.0.{MIN_SERVER_VERSION} or newer",
            hint="install a newer adb (apt-get install adb, or Android platform-tools; adbutils bundles one), "
            "then `adb kill-server` so the new one starts",
        )


def ready_server(port: int | None = None) -> int:
    """Start the server if needed, check its version; returns its port."""
    from host_tools.targets.adb import ensure_server

    port = ensure_server(port)
    check_version(server_version(port), port)
    return port
