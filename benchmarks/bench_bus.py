"""Message bus throughput: in-process publish->handler and Redis Streams end to end.

Run: ``.venv/bin/python benchmarks/bench_bus.py [--n-memory N] [--n-redis N] [--redis-url URL]``

Prints messages per second, the goal and the ratio figure / goal. The Redis figure is end to
end: one thread publishes Bar structs, the bus's flusher batches them into Redis, its consumer
thread reads them back, decodes them and calls the handler; the clock stops at the last call.
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid

import redis

from nautilus.bus.memory import InProcessBus
from nautilus.bus.redis_streams import RedisStreamsBus
from nautilus.config import BusConfig
from nautilus.model.data import Bar

MEMORY_GOAL = 1_000_000
REDIS_GOAL = 50_000


def _bar(i: int) -> Bar:
    return Bar(
        instrument_id="AAPL.XNAS",
        timeframe="1m",
        open=100.0 + i,
        high=101.0 + i,
        low=99.0 + i,
        close=100.5 + i,
        volume=1_000.0,
        ts_event=i,
        ts_init=i,
    )


def bench_memory(n: int) -> tuple[float, float]:
    """Single subscriber, topic handler list cached: (wall msgs/s, msgs per CPU second)."""
    bus = InProcessBus()
    count = [0]

    def on_bar(topic: str, msg: object) -> None:
        count[0] += 1

    bus.subscribe("data.bars.*.1m", on_bar)
    bar = _bar(1)
    publish = bus.publish
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        publish("data.bars.AAPL.1m", bar)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert count[0] == n
    return n / dt, n / cpu


def bench_memory_fanout(n: int, subscribers: int = 10) -> float:
    """Ten wildcard subscribers: handler calls per second."""
    bus = InProcessBus()
    count = [0]

    def on_bar(topic: str, msg: object) -> None:
        count[0] += 1

    for _ in range(subscribers):
        bus.subscribe("data.>", on_bar)
    bar = _bar(1)
    t0 = time.perf_counter()
    for _ in range(n):
        bus.publish("data.bars.AAPL.1m", bar)
    dt = time.perf_counter() - t0
    assert count[0] == n * subscribers
    return n * subscribers / dt


def bench_redis(url: str, n: int) -> tuple[float, float, float]:
    """Returns (end-to-end msgs/s, msgs per CPU second of this process, publish-call msgs/s)."""
    namespace = f"bench-bus-{uuid.uuid4().hex[:8]}"
    # The cap must exceed the backlog a slower consumer builds up (see the module docstring).
    config = BusConfig(backend="redis", buffer_max=100_000, stream_maxlen=2 * n)
    bus = RedisStreamsBus(url, config, namespace=namespace)
    done = threading.Event()
    count = [0]

    def on_bar(topic: str, msg: object) -> None:
        count[0] += 1
        if count[0] == n:
            done.set()

    bus.subscribe("data.bars.>", on_bar)
    bus.start()
    bars = [_bar(i) for i in range(1000)]
    publish_time = [0.0]

    def producer() -> None:
        t = time.perf_counter()
        for i in range(n):
            bus.publish("data.bars.AAPL.1m", bars[i % 1000])
        publish_time[0] = time.perf_counter() - t

    c0, t0 = time.process_time(), time.perf_counter()
    th = threading.Thread(target=producer)
    th.start()
    th.join()
    if not done.wait(120):
        raise RuntimeError(f"only {count[0]} of {n} delivered")
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    bus.stop()
    r = redis.Redis.from_url(url)
    keys = list(r.scan_iter(match=f"{namespace}:*"))
    if keys:
        r.delete(*keys)
    return n / dt, n / cpu, n / publish_time[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n-memory", type=int, default=2_000_000)
    ap.add_argument("--n-redis", type=int, default=200_000)
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = ap.parse_args()

    with open("/proc/loadavg") as f:
        print(f"load average before: {f.read().split()[0]} (2 cores shared with other work)")
    rate, per_cpu = bench_memory(args.n_memory)
    print(
        f"in-process publish->handler (1 sub): {rate:12,.0f} msgs/s  goal {MEMORY_GOAL:,}"
        f"  ratio {rate / MEMORY_GOAL:.2f}  (per CPU second {per_cpu:,.0f},"
        f" ratio {per_cpu / MEMORY_GOAL:.2f})"
    )
    rate = bench_memory_fanout(args.n_memory // 10)
    print(f"in-process fan-out (10 wildcard subs): {rate:10,.0f} handler calls/s")
    e2e, per_cpu, pub = bench_redis(args.redis_url, args.n_redis)
    print(
        f"redis streams end to end:            {e2e:12,.0f} msgs/s  goal {REDIS_GOAL:,}"
        f"  ratio {e2e / REDIS_GOAL:.2f}  (per CPU second of this process {per_cpu:,.0f};"
        f" publish calls {pub:,.0f}/s)"
    )


if __name__ == "__main__":
    main()
