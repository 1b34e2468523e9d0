"""A Python client of a loadmaster (or HarperDB) server over HTTP.

::

    import loadmaster

    with loadmaster.Client("http://127.0.0.1:9925", user="HDB_ADMIN", password="...") as lm:
        job_id = lm.load("dogs.csv", table="dog", database="dev")
        print(lm.wait(job_id).message)

It speaks only the wire protocol (never imports the server), and raises the same
:class:`loadmaster.LoadmasterError` subclasses as embedded mode.
"""

from loadmaster.client.client import Client
from loadmaster.client.records import Job

__all__ = ["Client", "Job"]
