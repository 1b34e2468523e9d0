"""The job runtime: a supervisor actor, one actor per job, and the registry of job records.

:class:`JobSystem` is what the operations use: it starts the registry (which owns
``system.hdb_job``) and the supervisor (which starts one ``JobActor`` per job), submits jobs
and reads their records. Job records are :class:`JobRecord` Structs.
"""

from loadmaster.actors.job_record import JobRecord, get_job_view, now_ms
from loadmaster.actors.system import JobSystem

__all__ = ["JobRecord", "JobSystem", "get_job_view", "now_ms"]
