"""Job kinds used by the job runner tests (importable by worker processes by module name)."""

from __future__ import annotations

import ctypes
import os
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nautilus.jobs.base import JOB_KINDS, Progress


class SumParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    n: int = Field(ge=1, le=1_000_000, description="Sum the integers 1..n.")
    steps: int = Field(4, ge=1, le=100, description="Progress updates to send.")
    delay_s: float = Field(0.0, ge=0.0, le=5.0, description="Sleep per step, seconds.")


@JOB_KINDS.register("test.sum", config=SumParams, replace=True)
def run_sum(params: SumParams, progress: Progress) -> dict[str, Any]:
    """Sum 1..n in ``steps`` chunks, reporting progress after each chunk."""
    total = 0
    bounds = [round(params.n * k / params.steps) for k in range(params.steps + 1)]
    for k in range(params.steps):
        total += sum(range(bounds[k] + 1, bounds[k + 1] + 1))
        if params.delay_s:
            time.sleep(params.delay_s)
        progress.update((k + 1) / params.steps, f"step {k + 1}/{params.steps}")
    return {"sum": total, "pid": os.getpid()}


class FailParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str = "bad input"


@JOB_KINDS.register("test.fail", config=FailParams, replace=True)
def run_fail(params: FailParams, progress: Progress) -> dict[str, Any]:
    """Raise ValueError with the given reason after reporting some progress."""
    progress.update(0.5, "half way")
    raise ValueError(params.reason)


class CrashParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    how: str = Field("exit", pattern="^(exit|segfault)$")
    code: int = 3


@JOB_KINDS.register("test.crash", config=CrashParams, replace=True)
def run_crash(params: CrashParams, progress: Progress) -> dict[str, Any]:
    """Kill the worker process: ``os._exit(code)`` or a segmentation fault."""
    if params.how == "segfault":
        ctypes.string_at(0)
    os._exit(params.code)


class SleepParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seconds: float = Field(30.0, ge=0.0, le=600.0)
    cooperative: bool = True
    marker_dir: str | None = None


@JOB_KINDS.register("test.sleep", config=SleepParams, replace=True)
def run_sleep(params: SleepParams, progress: Progress) -> dict[str, Any]:
    """Sleep in 20 ms slices; return early when cancelled if ``cooperative``.

    With ``marker_dir`` the job writes ``<pid>.start`` there when it begins and
    ``<pid>.end`` when it ends, so tests can see overlap between workers.
    """
    pid = os.getpid()
    if params.marker_dir:
        with open(os.path.join(params.marker_dir, f"{pid}.start"), "w") as fh:
            fh.write(str(time.time()))
    deadline = time.monotonic() + params.seconds
    progress.update(0.0, "sleeping")
    while time.monotonic() < deadline:
        if params.cooperative and progress.cancelled:
            return {"cancelled": True}
        time.sleep(0.02)
    if params.marker_dir:
        with open(os.path.join(params.marker_dir, f"{pid}.end"), "w") as fh:
            fh.write(str(time.time()))
    return {"slept": params.seconds}


@JOB_KINDS.register("test.echo", replace=True)
def run_echo(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """A kind without a params model: returns its params."""
    return {"echo": params}


@JOB_KINDS.register("test.linger", replace=True)
def run_linger(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Return at once but leave a non-daemon thread sleeping for a minute."""
    import threading

    threading.Thread(target=time.sleep, args=(60,), daemon=False).start()
    return {"done": True}
