"""HarperDB's job wording, as clients match it (spec/harperdb-jobs.md §2.4, §12.1)."""

from loadmaster import wording


def test_harperdb_job_texts() -> None:
    assert wording.started("j1") == "Starting job with id j1"
    assert wording.completed("j1") == "Successfully completed job: j1"
    assert wording.loaded(350, 350) == "successfully loaded 350 of 350 records"
    assert wording.deleted(1, 1) == "1 of 1 record successfully deleted"
    assert wording.deleted(0, 2) == "0 of 2 records successfully deleted"
    assert wording.interrupted("it was stopped") == (
        "Job was interrupted: it was stopped. Rerun the operation."
    )


def test_how_far_a_stopped_job_got_names_its_kind() -> None:
    assert wording.cancelled("ann", "csv_file_load", 5) == (
        "Job was cancelled by ann (after loading 5 records)"
    )
    assert wording.cancelled("ann", "export_to_s3", 7) == (
        "Job was cancelled by ann (after exporting 7 records)"
    )
    assert wording.timed_out(1.5, "delete_records_before", 0) == (
        "Job exceeded its timeout of 1.5 s (after deleting 0 records)"
    )
    assert wording.validated(10, 2) == "validated 10 records, 2 with errors"
    assert wording.job_key_exists("k") == "Job with key k already exists"


def test_a_stopped_load_names_the_fault_and_what_it_had_loaded() -> None:
    stop = wording.too_many_rejected(2, "line 6: empty primary key (column 'id')")
    assert wording.already_loaded(stop, 1) == (
        "Load aborted: more than 2 rows were rejected, the last at line 6: empty primary key "
        "(column 'id'); 1 records were already loaded"
    )
    assert wording.aborted_at("line 2: not valid JSON") == "Load aborted at line 2: not valid JSON"
