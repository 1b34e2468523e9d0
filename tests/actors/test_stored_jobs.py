"""Job records read from disk are kept while nothing is committed, and read again after."""

from pathlib import Path

from loadmaster.actors.job_record import job_table
from loadmaster.actors.stored_jobs import StoredJobs
from loadmaster.storage import Store


def test_a_record_is_read_once_until_the_next_commit(tmp_path: Path) -> None:
    with Store.open(tmp_path / "d") as store:
        table = job_table(store)
        row = {"id": "j1", "type": "csv_data_load", "user": "u", "status": "COMPLETE"}
        table.write([row], "insert")
        stored = StoredJobs(table)
        first = stored.get("j1")
        assert first is not None
        assert first.status == "COMPLETE"
        reads = table.stats_records_read
        assert stored.get("j1") is first  # no commit since: not read again
        assert table.stats_records_read == reads

        table.write([{"id": "j1", "message": "notified"}], "update")
        changed = stored.get("j1")
        assert changed is not None
        assert changed.message == "notified"
        assert table.stats_records_read == reads + 1

        # A commit to any table of the environment counts, whatever it changed.
        store.create_table("system", "other", "id")
        assert stored.get("j1") == changed
        assert table.stats_records_read == reads + 2

        table.delete(["j1"])
        assert stored.get("j1") is None
        assert stored.get("never") is None
