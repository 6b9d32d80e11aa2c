"""One adb host connection (a TCP socket) and the streams multiplexed over it.

Flow control follows AOSP ``protocol.txt``: after a WRTE the sender waits for the peer's OKAY before
sending the next WRTE on that stream, in both directions. The host's WRTE payloads are acknowledged as
soon as they are buffered, unless the service lags more than ``HIGH_WATER`` bytes behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from host_tools.emulator import protocol as p

log = logging.getLogger(__name__)
HIGH_WATER = 2 * p.MAX_PAYLOAD


class StreamClosed(EOFError):
    """The host closed the stream (or the connection went away)."""


class Stream:
    """A device-side socket: bytes in from the host's WRTEs, bytes out as WRTEs, one in flight."""

    def __init__(self, conn: Connection, local_id: int, remote_id: int, name: str) -> None:
        self.conn = conn
        self.local_id = local_id
        self.remote_id = remote_id
        self.name = name
        self._inbox = bytearray()
        self._readable = asyncio.Event()
        self._can_send = asyncio.Event()
        self._can_send.set()
        self._send_lock = asyncio.Lock()
        self._owe_okay = False
        self.closed = False
        self.task: asyncio.Task[None] | None = None
        # False for services that, like adbd's raw sockets, keep going when the host closes: the data
        # already received still reaches the command, which then sees end-of-input.
        self.cancel_on_close = True

    # host -> device
    def on_write(self, data: bytes) -> None:
        self._inbox += data
        self._readable.set()
        if len(self._inbox) < HIGH_WATER:
            self.conn.send(p.A_OKAY, self.local_id, self.remote_id)
        else:
            self._owe_okay = True

    def _consumed(self) -> None:
        if not self._inbox and not self.closed:
            self._readable.clear()
        if self._owe_okay and len(self._inbox) < HIGH_WATER and not self.closed:
            self._owe_okay = False
            self.conn.send(p.A_OKAY, self.local_id, self.remote_id)

    async def read_some(self, limit: int = p.MAX_PAYLOAD) -> bytes:
        """Up to ``limit`` buffered bytes, waiting for some; ``b""`` once the host has closed the stream."""
        while not self._inbox:
            if self.closed:
                return b""
            await self._readable.wait()
        data = bytes(self._inbox[:limit])
        del self._inbox[:limit]
        self._consumed()
        return data

    async def read_exact(self, n: int) -> bytes:
        while len(self._inbox) < n:
            if self.closed:
                raise StreamClosed(f"stream closed after {len(self._inbox)} of {n} bytes")
            self._readable.clear()
            await self._readable.wait()
        data = bytes(self._inbox[:n])
        del self._inbox[:n]
        self._consumed()
        return data

    # device -> host
    def on_okay(self) -> None:
        self._can_send.set()

    async def write(self, data: bytes) -> None:
        """Send ``data`` as WRTEs of at most the negotiated payload size, each after the previous OKAY."""
        async with self._send_lock:
            view = memoryview(data)
            step = self.conn.max_payload
            for start in range(0, len(view), step):
                await self._can_send.wait()
                if self.closed:
                    raise StreamClosed("stream closed by the host")
                self._can_send.clear()
                self.conn.send(p.A_WRTE, self.local_id, self.remote_id, bytes(view[start:start + step]))
                await self.conn.drain()

    async def flush(self) -> None:
        """Wait until the host has acknowledged everything written so far."""
        if not self.closed:
            await self._can_send.wait()

    def on_close(self) -> None:
        """The host closed the stream (or the transport died): wake every waiter, stop the service."""
        self.closed = True
        self._readable.set()
        self._can_send.set()
        if self.cancel_on_close and self.task is not None:
            self.task.cancel()

    async def close(self) -> None:
        """Close from the device side: CLSE after the last WRTE was acknowledged."""
        if self.closed:
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.flush(), timeout=30)
        if not self.closed:
            self.closed = True
            self.conn.send(p.A_CLSE, self.local_id, self.remote_id)
            self.conn.streams.pop(self.local_id, None)


Handler = Callable[[Stream], Awaitable[None]]


class Connection:
    """Packet I/O for one host connection; the phone decides about auth and services."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.version = p.A_VERSION
        self.max_payload = p.MAX_PAYLOAD_V1
        self.streams: dict[int, Stream] = {}
        self._next_id = 1
        self.online = False
        self.token = b""
        self.host_banner = b""
        self.offered_key: bytes | None = None
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)

    def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        if self.writer.is_closing():
            return
        packet = p.Packet(command, arg0, arg1, data)
        self.writer.write(p.encode(packet, with_checksum=self.version < p.A_VERSION_SKIP_CHECKSUM))

    async def drain(self) -> None:
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()

    async def read_packet(self) -> p.Packet:
        header = p.decode_header(await self.reader.readexactly(p.HEADER_SIZE))
        data = await self.reader.readexactly(header.length) if header.length else b""
        if not p.verify_checksum(header, data, self.version):
            raise p.ProtocolError(f"bad checksum on {p.command_name(header.command)}")
        return p.Packet(header.command, header.arg0, header.arg1, data)

    def new_stream(self, remote_id: int, name: str) -> Stream:
        stream = Stream(self, self._next_id, remote_id, name)
        self._next_id += 1
        self.streams[stream.local_id] = stream
        return stream

    def close_all_streams(self) -> None:
        for stream in list(self.streams.values()):
            stream.on_close()
        self.streams.clear()

    def abort(self) -> None:
        """Drop the TCP connection at once (the cable is pulled)."""
        transport = self.writer.transport
        if transport is not None:
            transport.abort()
