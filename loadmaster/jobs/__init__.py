"""Job kinds and the load worker: what a submitted job does, run on its own actor's thread.

The job kinds are the CSV loads (:mod:`.csv_load`, with JSON imports in :mod:`.jsonload`), URL
loads (:mod:`.url`), S3 imports and exports (:mod:`.s3`), local exports (:mod:`.export`) and
``delete_records_before`` (:mod:`.delete_before`); each takes a :class:`JobContext` and
returns its final message. Large CSV loads are parsed by a worker process
(:mod:`.parallel_load` here, :mod:`.parse_worker` there, speaking :mod:`.frames`). The formats
they read and write are :mod:`loadmaster.formats`.
"""
