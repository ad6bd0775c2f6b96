"""Background jobs (Dask distributed) with records in SQLite: queued → running → done/failed/cancelled.

Generic: nothing here knows about backtests. :class:`JobStore` keeps the records (``$JLQ_HOME/state/jobs.db``),
:class:`JobRunner` submits functions to a Dask cluster and keeps the records true, :func:`current` gives the
running job function its progress/should_stop hooks.
"""

from .runner import JobRunner, Retention
from .store import ACTIVE, FINAL, STATUSES, JobNotReady, JobRecord, JobStore, JobsUnavailable
from .worker import Interrupted, JobContext, current

__all__ = ["ACTIVE", "FINAL", "STATUSES", "Interrupted", "JobContext", "JobNotReady", "JobRecord", "JobRunner",
           "JobStore", "JobsUnavailable", "Retention", "current"]
