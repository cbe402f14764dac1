"""WebSocket fan-out: 1,000 authenticated clients on one API process, bars from the bus.

The server (``benchmarks/ws_server.py``, a subprocess) runs uvicorn with the streaming engine
and a feeder thread publishing synthetic bars on the in-process bus at a fixed rate. Client
processes (asyncio + ``websockets``) open the connections with one API key, each subscribing
to one of ``--topics`` bar topics, answer server pings, and record publish → receive latency
from the ``ts_init`` the feeder stamps into every bar (same machine, same clock).

Clients are lean (``websockets`` sans-I/O protocol in an ``asyncio.Protocol``, msgspec decoding
only ``type`` and ``data.ts_init``) and unpack ``batch`` frames. Reported: messages (data frames)
delivered per second in total (all clients) and the WebSocket frames that carried them, the
share of expected messages that arrived (the rest were conflated for clients that fell behind),
latency p50/p99, server and client CPU per message, and the load average.
Goals: ≥ 50,000 messages/s and p99 < 50 ms.

Run: ``.venv/bin/python benchmarks/bench_ws.py [--clients 1000] [--rate 500] [--seconds 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

import msgspec
import numpy as np

HERE = Path(__file__).resolve().parent


class _Data(msgspec.Struct):
    ts_init: int = 0


class _Inner(msgspec.Struct):
    type: str
    data: _Data | None = None


class _Frame(msgspec.Struct):
    """Only the fields the client needs; a ``batch`` holds several frames."""

    type: str
    data: _Data | None = None
    frames: list[_Inner] | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- client process ------------------------------------------------------------------------


class _Tally:
    def __init__(self) -> None:
        self.lat: array[int] = array("q")
        self.frames = 0
        self.first = 0
        self.last = 0
        self.ready = 0
        self.closed = 0


class LeanClient(asyncio.Protocol):
    """One connection on the ``websockets`` sans-I/O protocol, driven from ``data_received``.

    No reader task, no per-message future: each socket read is parsed, decoded (only
    ``type`` and ``data.ts_init``) and tallied in place.
    """

    def __init__(self, url: str, key: str, topic: str, tally: _Tally) -> None:
        from websockets.client import ClientProtocol
        from websockets.uri import parse_uri

        self.proto = ClientProtocol(parse_uri(url), max_size=None)
        self.key = key
        self.topic = topic
        self.tally = tally
        self.stage = 0
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.decode = msgspec.json.Decoder(_Frame).decode

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.proto.send_request(self.proto.connect())
        self._flush()

    def _flush(self) -> None:
        assert self.transport is not None
        for chunk in self.proto.data_to_send():
            if chunk:
                self.transport.write(chunk)

    def _send(self, frame: dict[str, object]) -> None:
        self.proto.send_text(msgspec.json.encode(frame))

    def data_received(self, data: bytes) -> None:
        from websockets.frames import Opcode
        from websockets.http11 import Response

        self.proto.receive_data(data)
        for ev in self.proto.events_received():
            if isinstance(ev, Response):
                self._send({"type": "auth", "api_key": self.key})
            elif ev.opcode is Opcode.TEXT:
                self._on_text(ev.data)
        self._flush()

    def _on_text(self, raw: bytes) -> None:
        now = time.time_ns()
        f = self.decode(raw)
        tally = self.tally
        if self.stage < 2:
            if f.type == "welcome":
                self._send({"type": "subscribe", "topics": [self.topic]})
            elif f.type == "subscribed":
                self.stage = 2
                self.ready.set_result(None)
            return
        tally.frames += 1
        items = f.frames if f.type == "batch" and f.frames is not None else (f,)
        got = False
        for item in items:
            if item.type == "data" and item.data is not None:
                tally.lat.append(now - item.data.ts_init)
                got = True
            elif item.type == "ping":
                self._send({"type": "pong"})
        if got:
            if not tally.first:
                tally.first = now
            tally.last = now

    def connection_lost(self, exc: Exception | None) -> None:
        self.tally.closed += 1
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before subscribing"))


async def run_clients(url: str, key: str, conns: int, first: int, topics: int, out: Path) -> None:
    loop = asyncio.get_running_loop()
    host, port = url.split("//")[1].split("/")[0].split(":")
    tally = _Tally()
    gate = asyncio.Semaphore(50)

    async def one(i: int) -> LeanClient:
        topic = f"bars.SYM{(first + i) % topics}.1m"
        async with gate:
            _, client = await loop.create_connection(
                lambda: LeanClient(url, key, topic, tally), host, int(port)
            )
            await client.ready
        tally.ready += 1
        return client

    clients = await asyncio.gather(*(one(i) for i in range(conns)))
    print("READY", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    closed_early = tally.closed
    for c in clients:
        if c.transport is not None:
            c.transport.close()
    np.save(out, np.frombuffer(tally.lat, dtype=np.int64))
    result = {
        "received": len(tally.lat),
        "frames": tally.frames,
        "first": tally.first,
        "last": tally.last,
        "ready": tally.ready,
        "closed": closed_early,
    }
    print("RESULT " + msgspec.json.encode(result).decode(), flush=True)


# -- orchestrator --------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_until(proc: subprocess.Popen[str], prefix: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"process exited before {prefix!r}")
        if line.startswith(prefix):
            return line.strip()
    raise TimeoutError(prefix)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--client-procs", type=int, default=2)
    p.add_argument("--topics", type=int, default=10, help="distinct bar topics")
    p.add_argument("--rate", type=float, default=500.0, help="bars published per second")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--ws", default="websockets-sansio", help="uvicorn WebSocket protocol")
    p.add_argument(
        "--batch-delay", type=float, default=0.0, help="streaming.batch_delay_s of the server"
    )
    p.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--url", default="")
    p.add_argument("--key", default="")
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--out", default="")
    args = p.parse_args()
    if args.client:
        asyncio.run(
            run_clients(args.url, args.key, args.clients, args.first, args.topics, Path(args.out))
        )
        return

    py = sys.executable
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    port = free_port()
    server = subprocess.Popen(
        [
            py,
            str(HERE / "ws_server.py"),
            *("--port", str(port), "--ws", args.ws),
            *("--batch-delay", str(args.batch_delay)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-ws-clients-"))
    clients: list[subprocess.Popen[str]] = []
    try:
        key = read_until(server, "KEY ", 120).split()[1]
        read_until(server, "READY", 120)
        per = [
            args.clients // args.client_procs + (i < args.clients % args.client_procs)
            for i in range(args.client_procs)
        ]
        t0 = time.perf_counter()
        first = 0
        for i, n in enumerate(per):
            clients.append(
                subprocess.Popen(
                    [
                        py,
                        __file__,
                        "--client",
                        "--url",
                        f"ws://127.0.0.1:{port}/ws",
                        "--key",
                        key,
                        "--clients",
                        str(n),
                        "--first",
                        str(first),
                        "--topics",
                        str(args.topics),
                        "--out",
                        str(tmp / f"lat{i}.npy"),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    env=env,
                )
            )
            first += n
        for c in clients:
            read_until(c, "READY", 600)
        connect_s = time.perf_counter() - t0
        cpu0 = cpu_seconds(server.pid), sum(cpu_seconds(c.pid) for c in clients)
        assert server.stdin is not None
        server.stdin.write(f"go {args.rate} {args.seconds} {args.topics}\n")
        server.stdin.flush()
        fed = int(read_until(server, "FED ", args.seconds + 120).split()[1])
        time.sleep(2.0)  # let queued frames drain
        cpu1 = cpu_seconds(server.pid), sum(cpu_seconds(c.pid) for c in clients)
        server.stdin.write("stats\n")
        server.stdin.flush()
        stats = read_until(server, "STATS", 30)
        results = []
        for c in clients:
            assert c.stdin is not None
            c.stdin.write("stop\n")
            c.stdin.flush()
            results.append(msgspec.json.decode(read_until(c, "RESULT ", 120)[7:]))
        lat = np.concatenate([np.load(tmp / f"lat{i}.npy") for i in range(len(clients))])
    finally:
        for proc in (*clients, server):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()

    received = int(sum(r["received"] for r in results))
    frames = int(sum(r["frames"] for r in results))
    start = min(r["first"] for r in results if r["first"])
    end = max(r["last"] for r in results)
    window = (end - start) / 1e9
    expected = fed * args.clients // args.topics
    ms = lat / 1e6
    print(
        f"uvicorn ws={args.ws}, batch_delay_s={args.batch_delay:g}; clients {args.clients} in "
        f"{args.client_procs} client processes, {args.topics} topics, connected+subscribed in "
        f"{connect_s:.1f}s"
    )
    print(
        f"published {fed} bars in {args.seconds:g}s ({fed / args.seconds:.0f}/s); "
        f"expected deliveries {expected}"
    )
    print(
        f"delivered {received} messages ({received / max(expected, 1):.1%} of expected; the rest "
        f"conflated) in {frames} WebSocket frames ({received / max(frames, 1):.2f} per frame) "
        f"over {window:.2f}s -> {received / window:,.0f} messages/s, "
        f"{frames / window:,.0f} frames/s"
    )
    print(
        f"latency publish->receive: p50 {np.percentile(ms, 50):.2f} ms, "
        f"p90 {np.percentile(ms, 90):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms, "
        f"max {ms.max():.2f} ms"
    )
    server_cpu, client_cpu = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    per = 1e6 / max(received, 1)
    print(
        f"CPU during the run: server {server_cpu:.1f}s ({server_cpu / window:.0%} of one core), "
        f"clients {client_cpu:.1f}s; per delivered message: server {server_cpu * per:.2f} us, "
        f"clients {client_cpu * per:.2f} us -> one free core would let the server deliver "
        f"{received / max(server_cpu, 1e-9):,.0f} messages/s"
    )
    print(f"client sockets closed early: {sum(r['closed'] for r in results)}")
    print(f"server hub: {stats}")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
