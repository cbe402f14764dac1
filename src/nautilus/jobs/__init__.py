"""Job runner: long work (backtests, sweeps, training, backfills) as tracked jobs.

``LocalJobRunner`` (``nautilus.jobs.local``) runs jobs in local worker processes;
``RayJobRunner`` (``nautilus.jobs.ray_runner``) on a Ray cluster. Both persist job records in
the relational store and publish ``JobEvent`` on ``jobs.<id>``. The runners are imported from
their modules so that importing this package stays light (worker processes import it).
Importing the package registers the built-in job kinds (``nautilus.jobs.builtin``).
"""

from __future__ import annotations

from nautilus.jobs import builtin as builtin
from nautilus.jobs.base import JOB_KINDS, JobEvent, JobRecord, JobRunner, JobState, Progress

__all__ = ["JOB_KINDS", "JobEvent", "JobRecord", "JobRunner", "JobState", "Progress"]
