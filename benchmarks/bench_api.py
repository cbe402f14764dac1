"""API overhead: authenticated GETs on Nautilus vs a trivial route on a bare FastAPI app.

Both apps run under uvicorn (one process, same loop/HTTP implementation). The load generator
is a separate process: ``wrk`` (Debian: ``apt-get install -y wrk``) with a Lua script that sets
the credential header and prints latency percentiles, or, when ``wrk`` is missing, a raw
asyncio HTTP/1.1 keep-alive client spread over several processes. Each target gets
``--connections`` (100) concurrent keep-alive connections for ``--duration`` seconds, after a
warm-up; targets are interleaved over ``--rounds`` rounds and the median round is reported.

Targets:

* ``bare``: ``GET /ping`` on a bare FastAPI app;
* ``health``: ``GET /health`` on Nautilus, unauthenticated (middleware + app, no auth);
* ``api-key``: ``GET /api/v1/auth/me`` with ``X-API-Key``;
* ``jwt``: ``GET /api/v1/auth/me`` with ``Authorization: Bearer <access token>``.

Reported per target: requests/s, p50/p99 latency, non-2xx count, and the server's CPU time per
request (user + system CPU of the server process over the run / requests served). On a shared
machine throughput and latency move with the neighbours' load (the 1-minute load average is
printed); CPU per request is the steadier figure. The load generator's own CPU use is printed
too, to show it is not the bottleneck.

Run: ``.venv/bin/python benchmarks/bench_api.py [--duration 5] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

BARE_APP = """
from fastapi import FastAPI
app = FastAPI()

@app.get("/ping")
def ping() -> dict[str, str]:
    return {"status": "ok"}
"""

# wrk Lua: one header from the environment; print percentiles (microseconds) as JSON.
WRK_SCRIPT = """
local name = os.getenv("BENCH_HEADER_NAME")
local value = os.getenv("BENCH_HEADER_VALUE")
if name and name ~= "" then
  wrk.headers[name] = value
end
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
  -- Paced mode: each connection waits ~pause ms (jittered) between requests.
  function delay()
    return math.random(0, 2 * pause)
  end
end
function done(summary, latency, requests)
  local non2xx = summary.errors.status
  local errs = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"non2xx": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    non2xx, errs))
end
"""

CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    server_cpu_s: float
    client_cpu_s: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_us_per_req(self) -> float:
        return self.server_cpu_s / max(self.requests, 1) * 1e6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its threads (and reaped children)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime, stime, cutime, cstime are fields 14-17.
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


def children_cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


# ---- load generators -----------------------------------------------------------------------


def run_wrk(
    url: str,
    header: tuple[str, str] | None,
    conns: int,
    seconds: float,
    script: Path,
    delay_ms: int,
) -> dict[str, float]:
    env = {
        **os.environ,
        "BENCH_HEADER_NAME": header[0] if header else "",
        "BENCH_HEADER_VALUE": header[1] if header else "",
        "BENCH_DELAY_MS": str(delay_ms),
    }
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{conns}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    data: dict[str, float] = json.loads(line.removeprefix("BENCH_JSON "))
    return data


async def _conn_loop(
    host: str,
    port: int,
    request: bytes,
    until: float,
    delay_ms: int,
    lat: list[float],
    bad: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            if delay_ms:
                await asyncio.sleep(random.uniform(0, 2 * delay_ms) / 1000)
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            if not head.startswith(b"HTTP/1.1 2"):
                bad[0] += 1
    finally:
        writer.close()


def _client_proc(
    host: str,
    port: int,
    request: bytes,
    conns: int,
    seconds: float,
    delay_ms: int,
    out: multiprocessing.Queue,  # type: ignore[type-arg]
) -> None:
    lat: list[float] = []
    bad = [0]

    async def go() -> None:
        until = time.perf_counter() + seconds
        await asyncio.gather(
            *(_conn_loop(host, port, request, until, delay_ms, lat, bad) for _ in range(conns))
        )

    asyncio.run(go())
    out.put((lat, bad[0]))


def run_asyncio_clients(
    url: str,
    header: tuple[str, str] | None,
    conns: int,
    seconds: float,
    delay_ms: int,
    procs: int = 2,
) -> dict[str, float]:
    u = httpx.URL(url)
    extra = f"{header[0]}: {header[1]}\r\n" if header else ""
    request = f"GET {u.raw_path.decode()} HTTP/1.1\r\nHost: {u.host}\r\n{extra}\r\n".encode()
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    share = [conns // procs + (1 if i < conns % procs else 0) for i in range(procs)]
    workers = [
        multiprocessing.Process(
            target=_client_proc, args=(u.host, u.port, request, n, seconds, delay_ms, queue)
        )
        for n in share
    ]
    start = time.perf_counter()
    for w in workers:
        w.start()
    lat: list[float] = []
    bad = 0
    for _ in workers:
        part, b = queue.get()
        lat += part
        bad += b
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1e6  # noqa: E731
    return {
        "requests": len(lat),
        "duration_us": elapsed * 1e6,
        "p50_us": pick(0.5),
        "p99_us": pick(0.99),
        "non2xx": bad,
        "socket_errors": 0,
    }


# ---- driver --------------------------------------------------------------------------------


def measure(
    url: str,
    header: tuple[str, str] | None,
    server_pid: int,
    opts: argparse.Namespace,
    script: Path | None,
    delay_ms: int,
) -> Run:
    def load(seconds: float) -> dict[str, float]:
        if script is not None:
            return run_wrk(url, header, opts.connections, seconds, script, delay_ms)
        return run_asyncio_clients(
            url, header, opts.connections, seconds, delay_ms, opts.client_procs
        )

    load(opts.warmup)
    cpu0, client0 = process_cpu_s(server_pid), children_cpu_s()
    r = load(opts.duration)
    cpu1, client1 = process_cpu_s(server_pid), children_cpu_s()
    return Run(
        requests=int(r["requests"]),
        seconds=r["duration_us"] / 1e6,
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        non2xx=int(r["non2xx"] + r["socket_errors"]),
        server_cpu_s=cpu1 - cpu0,
        client_cpu_s=client1 - client0,
    )


def serve(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median kept)")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--client-procs", type=int, default=2, help="asyncio client processes")
    parser.add_argument("--no-wrk", action="store_true", help="use the asyncio client")
    parser.add_argument(
        "--paced-rate",
        type=int,
        default=500,
        help="also measure latency at about this many req/s over the same connections "
        "(0: saturation only)",
    )
    opts = parser.parse_args()

    from nautilus.config import PlatformConfig
    from nautilus.persistence.db import Database
    from nautilus.security import Role, Security

    use_wrk = shutil.which("wrk") is not None and not opts.no_wrk
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data_dir = work / "data"
        config = PlatformConfig(data_dir=data_dir)
        db = Database(config.sqlalchemy_url)
        db.migrate()
        sec = Security(config, db)
        user = sec.users.create("bench", "bench-password-1", Role.TRADER)
        api_key = sec.keys.create(user, "bench", ["read"]).secret
        # Long enough for the whole run (the server reads the same signing key file).
        access_token = sec.access.issue(user)
        db.dispose()
        (work / "bare_app.py").write_text(BARE_APP)
        script: Path | None = None
        if use_wrk:
            script = work / "bench.lua"
            script.write_text(WRK_SCRIPT)
        env = {
            **os.environ,
            "NAUTILUS_ADMIN_PASSWORD": "bench-admin-" + os.urandom(8).hex(),
            "NAUTILUS_LOG_LEVEL": "WARNING",
        }
        ours_port, bare_port = free_port(), free_port()
        ours = serve(
            [
                "-m",
                "nautilus.cli.main",
                "--data-dir",
                str(data_dir),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(ours_port),
            ],
            env,
            work,
        )
        bare = serve(
            [
                "-m",
                "uvicorn",
                "bare_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(bare_port),
                "--workers",
                "1",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env,
            work,
        )
        me = f"http://127.0.0.1:{ours_port}/api/v1/auth/me"
        targets: dict[str, tuple[str, tuple[str, str] | None, int]] = {
            "bare FastAPI GET /ping": (f"http://127.0.0.1:{bare_port}/ping", None, bare.pid),
            "nautilus GET /health  (no auth)": (
                f"http://127.0.0.1:{ours_port}/health",
                None,
                ours.pid,
            ),
            "nautilus GET /auth/me  X-API-Key": (me, ("X-API-Key", api_key), ours.pid),
            "nautilus GET /auth/me  Bearer JWT": (
                me,
                ("Authorization", f"Bearer {access_token}"),
                ours.pid,
            ),
        }
        phases = {"saturation (closed loop, as fast as possible)": 0}
        if opts.paced_rate > 0:
            delay_ms = max(1, round(opts.connections * 1000 / opts.paced_rate))
            phases[f"paced: ~{opts.paced_rate} req/s offered"] = delay_ms
        runs: dict[str, dict[str, list[Run]]] = {p: {n: [] for n in targets} for p in phases}
        load_before = loadavg()
        try:
            wait_up(f"http://127.0.0.1:{ours_port}/health", ours)
            wait_up(f"http://127.0.0.1:{bare_port}/ping", bare)
            idle0 = process_cpu_s(ours.pid)
            time.sleep(2)
            idle_cpu = (process_cpu_s(ours.pid) - idle0) / 2
            for phase, delay_ms in phases.items():
                for _ in range(opts.rounds):
                    for name, (url, header, pid) in targets.items():
                        runs[phase][name].append(measure(url, header, pid, opts, script, delay_ms))
        finally:
            for proc in (ours, bare):
                proc.terminate()
                proc.wait(timeout=20)
    gen = "wrk -t1 (separate process)" if use_wrk else f"asyncio client x{opts.client_procs}"
    print(
        f"{opts.connections} keep-alive connections, {opts.duration:g}s x {opts.rounds} rounds "
        f"(median by req/s), load generator: {gen}; server: uvicorn, 1 process, {os.cpu_count()}"
        f" CPUs on the machine; load average {load_before} -> {loadavg()}; "
        f"nautilus idle CPU {idle_cpu * 100:.1f}%"
    )
    for phase, phase_runs in runs.items():
        print(f"\n== {phase}")
        report(phase_runs, saturated=not phases[phase])


def report(runs: dict[str, list[Run]], *, saturated: bool) -> None:
    """One table; in the saturation phase also the throughput ratio against the bare app.

    Closed-loop latency is ``connections / throughput`` (Little's law): at saturation it
    measures queueing, not the cost of a request. The paced phase shows the latency a request
    sees when the server keeps up.
    """
    print(
        f"{'target':36s} {'req/s':>8s} {'p50 ms':>7s} {'p99 ms':>7s} {'non2xx':>6s} "
        f"{'srv CPU us/req':>14s} {'client CPU%':>11s}"
    )
    picked: dict[str, Run] = {}
    for name, rs in runs.items():
        r = sorted(rs, key=lambda x: x.rps)[len(rs) // 2]
        picked[name] = r
        cpu = statistics.median(x.cpu_us_per_req for x in rs)
        print(
            f"{name:36s} {r.rps:8.0f} {r.p50_ms:7.2f} {r.p99_ms:7.2f} {r.non2xx:6d} "
            f"{cpu:14.0f} {r.client_cpu_s / r.seconds * 100:10.0f}%"
        )
    names = list(picked)
    bare = picked[names[0]]
    bare_cpu = statistics.median(x.cpu_us_per_req for x in runs[names[0]])
    for name in names[1:]:
        r = picked[name]
        cpu = statistics.median(x.cpu_us_per_req for x in runs[name])
        ratio = f"throughput {r.rps / bare.rps:.2f}x, " if saturated else ""
        print(
            f"{name.split('  ')[1]:10s} vs bare: {ratio}"
            f"p99 {r.p99_ms / bare.p99_ms:.2f}x, CPU/request {cpu / bare_cpu:.2f}x; "
            f"p99 < 10 ms: {'yes' if r.p99_ms < 10 else 'NO'}"
        )


if __name__ == "__main__":
    main()
