"""The job runtime: a supervisor, one actor per job, and the registry of job records.

:class:`JobSystem` starts the registry (which settles jobs an earlier process left unfinished)
and then the supervisor, and is what the operations use to submit jobs and read their records.
"""

from loadmaster.actors.system import JobSystem, Submitted

__all__ = ["JobSystem", "Submitted"]
