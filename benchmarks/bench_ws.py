"""WebSocket fan-out: 1,000 authenticated clients on one API process, bars from the bus.

The server (``benchmarks/ws_server.py``, a subprocess) runs uvicorn with the streaming engine
and a feeder thread publishing synthetic bars on the in-process bus at a fixed rate. Client
processes (asyncio + ``websockets``) open the connections with one API key, each subscribing
to one of ``--topics`` bar topics, answer server pings, and record publish → receive latency
from the ``ts_init`` the feeder stamps into every bar (same machine, same clock).

Reported: frames delivered per second in total (all clients), the share of expected frames
that arrived (the rest were conflated for clients that fell behind), and latency p50/p99.
Goals: ≥ 50,000 frames/s and p99 < 50 ms.

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
from pathlib import Path

import msgspec
import numpy as np

HERE = Path(__file__).resolve().parent


class _Data(msgspec.Struct):
    ts_init: int = 0


class _Frame(msgspec.Struct):
    type: str
    data: _Data | None = None
    ts: int | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- client process ------------------------------------------------------------------------


async def run_clients(url: str, key: str, conns: int, first: int, topics: int, out: Path) -> None:
    from websockets.asyncio.client import connect

    decode = msgspec.json.Decoder(_Frame).decode
    lat: list[int] = []
    counts = {"received": 0, "first": 0, "last": 0, "ready": 0, "closed": 0}
    stop = asyncio.Event()
    gate = asyncio.Semaphore(50)

    async def one(i: int) -> None:
        topic = f"bars.SYM{(first + i) % topics}.1m"
        async with gate:
            ws = await connect(
                url, compression=None, open_timeout=120, ping_interval=None, max_queue=None
            )
            await ws.send(msgspec.json.encode({"type": "auth", "api_key": key}).decode())
            await ws.recv()
            await ws.send(msgspec.json.encode({"type": "subscribe", "topics": [topic]}).decode())
            await ws.recv()
        counts["ready"] += 1
        if counts["ready"] == conns:
            print("READY", flush=True)
        try:
            async for text in ws:
                now = time.time_ns()
                f = decode(text)
                if f.type == "data" and f.data is not None:
                    lat.append(now - f.data.ts_init)
                    if not counts["first"]:
                        counts["first"] = now
                    counts["last"] = now
                elif f.type == "ping":
                    await ws.send('{"type":"pong"}')
        except Exception:
            counts["closed"] += 1
        finally:
            await ws.close()

    async def stdin_stop() -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)
        stop.set()

    tasks = [asyncio.create_task(one(i)) for i in range(conns)]
    await stop_or_done(stdin_stop(), stop)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    np.save(out, np.asarray(lat, dtype=np.int64))
    counts["received"] = len(lat)
    print("RESULT " + msgspec.json.encode(counts).decode(), flush=True)


async def stop_or_done(waiter: object, stop: asyncio.Event) -> None:
    task = asyncio.ensure_future(waiter)  # type: ignore[arg-type]
    await stop.wait()
    task.cancel()


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
        [py, str(HERE / "ws_server.py"), "--port", str(port), "--ws", args.ws],
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
    start = min(r["first"] for r in results if r["first"])
    end = max(r["last"] for r in results)
    window = (end - start) / 1e9
    expected = fed * args.clients // args.topics
    ms = lat / 1e6
    print(
        f"uvicorn ws={args.ws}; clients {args.clients} in {args.client_procs} client processes, "
        f"{args.topics} topics, connected+subscribed in {connect_s:.1f}s"
    )
    print(
        f"published {fed} bars in {args.seconds:g}s ({fed / args.seconds:.0f}/s); "
        f"expected deliveries {expected}"
    )
    print(
        f"delivered {received} frames ({received / max(expected, 1):.1%} of expected; the rest "
        f"conflated) in {window:.2f}s -> {received / window:,.0f} frames/s"
    )
    print(
        f"latency publish->receive: p50 {np.percentile(ms, 50):.2f} ms, "
        f"p90 {np.percentile(ms, 90):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms, "
        f"max {ms.max():.2f} ms"
    )
    server_cpu, client_cpu = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    print(
        f"CPU during the run: server {server_cpu:.1f}s ({server_cpu / window:.0%} of one core), "
        f"clients {client_cpu:.1f}s; server CPU per delivered frame "
        f"{server_cpu / max(received, 1) * 1e6:.1f} us -> one free core would deliver "
        f"{received / max(server_cpu, 1e-9):,.0f} frames/s"
    )
    print(f"client sockets closed early: {sum(r['closed'] for r in results)}")
    print(f"server hub: {stats}")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
