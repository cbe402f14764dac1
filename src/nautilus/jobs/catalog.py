"""Where job kinds live: every module that registers kinds in ``JOB_KINDS``.

Worker processes import a job function by reference, but the process that *submits* a job must
have its kind registered to validate the parameters; every runner therefore loads this list.
A module that is not present (an engine not installed) is skipped with a log line.
"""

from __future__ import annotations

import importlib
import logging

log = logging.getLogger(__name__)

JOB_MODULES: tuple[str, ...] = (
    "nautilus.jobs.builtin",
    "nautilus.data.jobs",
    "nautilus.factors.job",
    "nautilus.factors.engine",
    "nautilus.features.sets",
    "nautilus.ml.jobs",
    "nautilus.risk.jobs",
    "nautilus.backtest.jobs",
    "nautilus.backtest.event.jobs",
    "nautilus.portfolio.jobs",
)

_loaded = False


def load_job_kinds() -> None:
    """Import every job module once (idempotent)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in JOB_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            log.exception("job module %s could not be imported; its job kinds are missing", name)
