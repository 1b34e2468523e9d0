"""Smoke tests of the benchmark harness: tiny sizes, real servers, report structure only."""

import json
from pathlib import Path

import pytest

from benchmarks import datagen, report, runner
from benchmarks.scenarios import SCENARIOS


def test_generated_csv_is_deterministic(tmp_path: Path) -> None:
    first = datagen.write_csv(tmp_path / "a.csv", 2_000)
    second = datagen.write_csv(tmp_path / "b.csv", 2_000)
    other_seed = datagen.write_csv(tmp_path / "c.csv", 2_000, seed=7)

    lines = first.read_text().splitlines()
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other_seed.read_bytes()
    assert lines[0] == "id,name,age,score,active,city,note"
    assert len(lines) == 2_001
    cells = lines[1].split(",")
    assert cells[0] == "1"
    assert cells[4] in ("true", "false")
    assert len(cells[6]) == 50


def test_records_match_the_csv_rows() -> None:
    records = datagen.records(12_345)

    assert [r["id"] for r in records[:3]] == [1, 2, 3]
    assert len({r["id"] for r in records}) == 12_345
    assert set(records[0]) == set(datagen.HEADER)
    assert isinstance(records[0]["active"], bool)


def test_figure_checks_absolute_and_relative_targets() -> None:
    met = report.figure(
        "s", "rows/s", "rows/s", [3.0, 1.0, 2.0], reference_runs=[1.0] * 3, minimum=2, min_ratio=1.5
    )
    missed = report.figure("s", "p99", "ms", [60.0], maximum=50.0)

    assert (met.median, met.min, met.max, met.ratio, met.met) == (2.0, 1.0, 3.0, 2.0, True)
    assert missed.met is False
    assert missed.ratio is None
    assert report.percentile(list(range(1, 101)), 99) == 99
    assert report.percentile([5.0], 50) == 5.0


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [(["no_such_scenario"], "unknown scenario"), (["--runs", "0"], "must be positive")],
)
def test_bad_command_lines_are_refused(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        runner.main(argv)

    assert complaint in capsys.readouterr().err


@pytest.mark.e2e
def test_quick_run_reports_every_figure_beside_its_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "latest.json"
    chosen = ["insert", "csv_file_load", "small_job", "burst"]
    args = ["--quick", "--rows", "2000", "--insert-rows", "2000", "--small-jobs", "3"]
    args += ["--burst", "10"]

    code = runner.main([*args, "--json", str(out), "--tmp", str(tmp_path), *chosen])

    body = json.loads(out.read_text())
    figures = body["figures"]
    assert code == 0
    assert body["rows"] == 2_000
    assert body["cores"] >= 1
    assert body["scenarios"] == chosen
    assert {f["scenario"] for f in figures} == set(chosen)
    assert all(f["status"] == "ok" for f in figures)
    for f in figures:
        assert f["median"] > 0
        assert len(f["runs"]) == 1
        if f["reference"] is not None:
            assert f["reference_median"] > 0
            assert f["ratio"] == pytest.approx(f["median"] / f["reference_median"])
    loads = [f for f in figures if f["scenario"] == "csv_file_load"]
    assert {f["unit"] for f in loads} == {"rows/s", "MB"}
    table = capsys.readouterr().out
    assert "| csv_file_load | rows/s |" in table
    assert "naive same-index pipeline" in table
    assert [p.name for p in tmp_path.iterdir()] == ["latest.json"]


def test_every_scenario_is_named_once() -> None:
    assert list(SCENARIOS)[:2] == ["insert", "csv_file_load"]
    assert len(set(SCENARIOS.values())) == len(SCENARIOS)


@pytest.mark.e2e
def test_search_jobs_page_runs_over_written_job_records(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    args = ["--quick", "--job-records", "300", "--json", str(out), "--tmp", str(tmp_path)]

    assert runner.main([*args, "search_jobs_page"]) == 0

    figures = json.loads(out.read_text())["figures"]
    assert {f["metric"] for f in figures} >= {"first page", "next pages (cursor)"}
    assert all(f["status"] == "ok" for f in figures)
