"""``EmulatedPhone``: a device-side adb daemon on 127.0.0.1 that a real adb server attaches to."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

from host_tools.emulator import protocol as p
from host_tools.emulator.auth import AuthorizedKeys, KeyFormatError, new_token, parse_public_key
from host_tools.emulator.device import Battery, BatteryConfig, DeviceRoot, default_props
from host_tools.emulator.fs import DeviceFs
from host_tools.emulator.sandbox import Sandbox
from host_tools.emulator.shell import CpuMeter, ProcessTable, exec_service, shell_service
from host_tools.emulator.sync import sync_service
from host_tools.emulator.transport import Connection, Handler, Stream, StreamClosed

log = logging.getLogger(__name__)
T = TypeVar("T")
QUOTA_DIR = "/data/local/tmp"
ROOT_REPLY = b"adbd cannot run as root in production builds\n"


class EmulatedPhone:
    """An emulated Android phone speaking the adb transport protocol over TCP.

    ``root`` holds its sandbox (see ``device.py``); ``port`` 0 picks a free port; it listens on ``host``
    (127.0.0.1: only this machine; any other address lets whoever reaches it knock, and a trusted key then
    gets a shell as you). ``props`` override the defaults of ``default_props``. ``quota_bytes`` caps what
    pushes may store under /data/local/tmp.
    Host keys: ``authorized_keys`` (adbkey.pub lines) are trusted from the start, plus those kept in the
    sandbox's ``/data/misc/adb/adb_keys``; an unknown host that offers its key stays ``unauthorized`` until
    ``accept_pending()`` (the user taps "Always allow": the key is kept in adb_keys). ``auto_accept`` trusts
    every key offered, for this run only (not written to adb_keys). The battery's current follows the CPU
    time of the processes the device's commands start (only those named in ``load_commands`` when given),
    sampled every ``poll_interval`` s.
    """

    def __init__(self, root: Path, port: int = 0, props: dict[str, str] | None = None,
                 quota_bytes: int | None = None, *, host: str = "127.0.0.1",
                 authorized_keys: list[str] | None = None, auto_accept: bool = False, require_auth: bool = True,
                 battery: BatteryConfig | None = None, sandbox: str = "auto",
                 load_commands: tuple[str, ...] | None = None, poll_interval: float = 0.05) -> None:
        self.device = DeviceRoot(root)
        self.host = host
        self.port = port
        self._prop_overrides = dict(props or {})
        self.props: dict[str, str] = {}
        self.quota_bytes = quota_bytes
        self._initial_keys = list(authorized_keys or [])
        self.keys = AuthorizedKeys()
        self.auto_accept = auto_accept
        self.require_auth = require_auth
        self.battery = Battery(self.device.power_supply, battery)
        self.sandbox = Sandbox(self.device, sandbox)
        self.fs = DeviceFs(self.device.mounts(), QUOTA_DIR, quota_bytes)
        self.load_commands = load_commands
        self.poll_interval = poll_interval
        self.processes = ProcessTable()
        self._server: asyncio.Server | None = None
        self._conns: set[Connection] = set()
        self._conn_tasks: set[asyncio.Task[None]] = set()
        self._pending: set[Connection] = set()
        self._monitor: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # --- identity ---

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    serial = address

    @property
    def sandbox_mode(self) -> str:
        return self.sandbox.mode

    @property
    def sysfs_root(self) -> str:
        """What to pass as device_bench's ``--sysfsRoot`` on this phone: ``/`` when commands see the device
        paths (namespace sandbox: /sys/class/power_supply is the emulated battery), else the host path of
        the sandbox root."""
        return "/" if self.sandbox.mode == "namespace" else str(self.device.root)

    def online_connections(self) -> int:
        return sum(1 for c in self._conns if c.online)

    # --- lifecycle ---

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.device.create()
        self.keys = AuthorizedKeys(self.device.adb_keys, self._initial_keys)
        self.processes = ProcessTable()
        await self._listen(serve=False)  # bound (the port names the serial) but quiet until ready
        await asyncio.to_thread(self.sandbox.probe)
        # mindedge.sysfs_root tells the host what to pass as device_bench's --sysfsRoot on this phone
        self.props = {**default_props(f"EMU{self.port}"), "mindedge.sysfs_root": self.sysfs_root,
                      **self._prop_overrides}
        self.device.write_props(self.props)
        if self.sandbox.mode == "rewrite":
            log.warning("rewrite sandbox (%s): device paths in commands are rewritten, and commands can write "
                        "anywhere you can", self.sandbox.probe_error or "asked for")
        self.device.write_tools(self.sandbox.view("/system/build.prop"),
                                self.sandbox.view("/sys/class/power_supply"))
        self.battery.write()
        self._monitor = asyncio.create_task(self._watch_processes())
        if self._server is not None:
            await self._server.start_serving()

    async def _listen(self, serve: bool = True) -> None:
        self._server = await asyncio.start_server(self._serve_connection, self.host, self.port,
                                                  start_serving=serve)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        await self._disconnect(refuse=True)
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        self.processes.kill_all()
        await self.processes.wait_reaped()
        self.battery.set_load(0.0)

    @contextlib.contextmanager
    def run_in_thread(self) -> Iterator[EmulatedPhone]:
        """Run the phone on its own event loop in a background thread (for tests and the demo)."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name=f"emulated-phone-{self.port}", daemon=True)
        thread.start()
        self._thread = thread
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=60)
            yield self
        finally:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=30)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            loop.close()
            self._thread = None

    def _call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine on the phone's loop from any thread (or schedule it when already on it)."""
        if self._loop is None:
            raise RuntimeError("the emulated phone is not started")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            raise RuntimeError("use the async variant from the phone's own loop")
        fut: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(fn(), self._loop)  # type: ignore[arg-type]
        return fut.result(timeout=30)

    # --- fault injection and user actions ---

    def disconnect(self, refuse: bool = False) -> None:
        """Drop every host connection now, like a cable pulled out. ``refuse``: also stop listening, so
        the host's reconnect attempts fail until ``allow_connections()``."""
        self._call(lambda: self._disconnect(refuse))

    def allow_connections(self) -> None:
        """Listen again (same port) after ``disconnect(refuse=True)``."""
        self._call(self._allow)

    def accept_pending(self) -> int:
        """Tap "Allow" on every waiting USB-debugging prompt; returns how many hosts were let in."""
        return self._call(self._accept_pending)

    async def _disconnect(self, refuse: bool) -> None:
        if refuse and self._server is not None:
            self._server.close()
            self._server = None
        for conn in list(self._conns):
            conn.abort()
        for task in list(self._conn_tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(task), timeout=5)

    async def _allow(self) -> None:
        if self._server is None:
            await self._listen()

    async def _accept_pending(self) -> int:
        count = 0
        for conn in list(self._pending):
            if conn.offered_key is not None:
                self.keys.add(conn.offered_key)
            self._go_online(conn)
            count += 1
        self._pending.clear()
        return count

    def set_props(self, **props: str) -> None:
        """Change properties at run time (keys with dots: pass a dict via ``set_props(**{...})``)."""
        self.props.update(props)
        self.device.write_props(self.props)

    # --- transport ---

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(reader, writer)
        task = asyncio.current_task()
        self._conns.add(conn)
        if task is not None:
            self._conn_tasks.add(task)
        log.info("host connected from %s", conn.peer)
        try:
            while True:
                await self._dispatch(conn, await conn.read_packet())
        except (asyncio.IncompleteReadError, ConnectionError, p.ProtocolError, OSError) as e:
            log.info("host %s gone: %s", conn.peer, e)
        finally:
            conn.close_all_streams()
            self._conns.discard(conn)
            self._pending.discard(conn)
            if task is not None:
                self._conn_tasks.discard(task)
            conn.abort()

    async def _dispatch(self, conn: Connection, pkt: p.Packet) -> None:
        if pkt.command == p.A_CNXN:
            conn.close_all_streams()
            conn.online = False
            conn.version = min(pkt.arg0, p.A_VERSION)
            conn.max_payload = min(pkt.arg1, p.MAX_PAYLOAD)
            conn.host_banner = pkt.data
            if self.require_auth:
                self._send_token(conn)
            else:
                self._go_online(conn)
        elif pkt.command == p.A_AUTH:
            self._on_auth(conn, pkt)
        elif not conn.online:
            return
        elif pkt.command == p.A_OPEN:
            self._on_open(conn, pkt)
        elif pkt.command == p.A_OKAY:
            stream = conn.streams.get(pkt.arg1)
            if stream is not None:
                stream.remote_id = stream.remote_id or pkt.arg0
                stream.on_okay()
        elif pkt.command == p.A_WRTE:
            stream = conn.streams.get(pkt.arg1)
            if stream is not None:
                stream.on_write(pkt.data)
        elif pkt.command == p.A_CLSE:
            stream = conn.streams.pop(pkt.arg1, None)
            if stream is not None:
                stream.on_close()

    def _send_token(self, conn: Connection) -> None:
        conn.token = new_token()
        conn.send(p.A_AUTH, p.AUTH_TOKEN, 0, conn.token)

    def _on_auth(self, conn: Connection, pkt: p.Packet) -> None:
        if conn.online or not conn.token:
            return
        if pkt.arg0 == p.AUTH_SIGNATURE:
            if self.keys.match(conn.token, pkt.data) is not None:
                self._go_online(conn)
            else:
                self._send_token(conn)
        elif pkt.arg0 == p.AUTH_RSAPUBLICKEY:
            try:
                parse_public_key(pkt.data)
            except KeyFormatError:
                log.info("host %s offered a malformed key", conn.peer)
                return
            if self.auto_accept:
                self.keys.add(pkt.data, persist=False)
                log.warning("auto-accepted the key of host %s", conn.peer)
                self._go_online(conn)
            else:
                conn.offered_key = pkt.data
                self._pending.add(conn)

    def _go_online(self, conn: Connection) -> None:
        conn.online = True
        conn.token = b""
        self._pending.discard(conn)
        conn.send(p.A_CNXN, p.A_VERSION, p.MAX_PAYLOAD, p.make_banner(self.props))

    def _on_open(self, conn: Connection, pkt: p.Packet) -> None:
        name = pkt.data.rstrip(b"\0").decode("utf-8", "surrogateescape")
        handler = self._service(name)
        if handler is None or pkt.arg0 == 0:
            log.info("refused service %r", name)
            conn.send(p.A_CLSE, 0, pkt.arg0)
            return
        stream = conn.new_stream(pkt.arg0, name)
        conn.send(p.A_OKAY, stream.local_id, stream.remote_id)
        stream.task = asyncio.create_task(self._run_service(stream, handler))

    async def _run_service(self, stream: Stream, handler: Handler) -> None:
        try:
            await handler(stream)
        except (StreamClosed, ConnectionError):
            pass
        except Exception:
            log.exception("service %r failed", stream.name)
        finally:
            if not stream.closed:
                await stream.close()

    def _service(self, name: str) -> Handler | None:
        hostname = self.props.get("ro.product.device", "localhost")
        if name.startswith("shell"):
            try:
                request = p.parse_shell_service(name[len("shell"):])
            except ValueError:
                return None
            return lambda s: shell_service(s, self.sandbox, self.processes, hostname, request)
        if name.startswith("exec:"):
            command = name[len("exec:"):]
            return lambda s: exec_service(s, self.sandbox, self.processes, hostname, command)
        if name.startswith("sync:"):
            return lambda s: sync_service(s, self.fs)
        if name == "reconnect":
            return self._reconnect_service
        if name.startswith("root:"):
            return lambda s: s.write(ROOT_REPLY)
        if name.startswith("unroot:"):
            return lambda s: s.write(b"adbd not running as root\n")
        return None

    async def _reconnect_service(self, stream: Stream) -> None:
        """adbd writes "done" and kicks the transport; no await here, so a CLSE cannot cut it short."""
        stream.conn.send(p.A_WRTE, stream.local_id, stream.remote_id, b"done")
        stream.conn.writer.close()

    async def _watch_processes(self) -> None:
        """Keep the battery's load in step with the CPU time the device's commands use."""
        meter = CpuMeter()
        while True:
            if not self.processes.sids:
                self.battery.set_load(0.0)
                self.processes.changed.clear()
                await self.processes.changed.wait()
                meter = CpuMeter()
                continue
            await asyncio.sleep(self.poll_interval)
            self.battery.set_load(meter.load(self.processes.scan(), self.load_commands))
