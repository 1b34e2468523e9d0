"""The background purge of old audit entries (HarperDB's logging.auditRetention)."""

import threading
from pathlib import Path

import pytest

import loadmaster
from loadmaster.actors.audit_retention import AuditRetention, retention_seconds
from loadmaster.storage import Store


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3d", 259_200.0), ("12h", 43_200.0), ("90m", 5_400.0), ("2w", 1_209_600.0), ("45", 45.0)],
)
def test_retention_reads_harperdbs_durations(text: str, seconds: float) -> None:
    assert retention_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "3 days", "-1d", "d3", "1e9999d"])
def test_bad_retentions_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="audit_retention"):
        retention_seconds(text)


def test_a_bad_retention_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="audit_retention"):
        loadmaster.open(tmp_path / "d", admin_password="pw", audit_retention="soon")


def test_purge_deletes_only_entries_older_than_the_retention(tmp_path: Path) -> None:
    with Store.open(tmp_path / "d", map_size=1 << 26) as store:
        dogs = store.create_table("dev", "dog", "id", audit=True)
        quiet = store.create_table("dev", "quiet", "id")
        dogs.write([{"id": 1}], "insert", user="a")
        quiet.write([{"id": 1}], "insert", user="a")
        keep = AuditRetention(store, retention=3_600)
        assert keep.purge() == 0
        assert len(dogs.audit_log.by_user("a")) == 1
        assert AuditRetention(store, retention=0).purge() == 1
        assert dogs.audit_log.by_user("a") == []


def test_the_thread_starts_and_stops(tmp_path: Path) -> None:
    with Store.open(tmp_path / "d", map_size=1 << 26) as store:
        purger = AuditRetention(store, retention=259_200)
        assert purger.interval == 3_600
        purger.start()
        assert "loadmaster-audit" in {t.name for t in threading.enumerate()}
        purger.stop()
        purger.stop()
        assert "loadmaster-audit" not in {t.name for t in threading.enumerate()}
