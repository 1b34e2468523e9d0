"""A generated 1,000,000-row file with faults at known lines, checked by the parse worker."""

from pathlib import Path

import pytest

import loadmaster
from tests.conftest import run_job

ROWS = 1_000_000


def _generate(path: Path) -> list[dict[str, object]]:
    """Write the file; return the errors expected, in line order.

    Line 1 is the header; a quoted cell holding a CRLF and an LF at line 11 spans three lines,
    so every row after it sits two lines further down than its number suggests.
    """
    lines = ["id,v"]
    for i in range(1, ROWS + 1):
        if i == 10:
            lines.append('10,"one\r\ntwo\nthree"')
        elif i == 200_000:
            lines.append("200000,x,extra")
        elif i == 500_000:
            lines.append("500000")
        elif i == 750_000:
            lines.append(",x")
        elif i == ROWS - 5:
            lines.append(f'{i},"never closed')
        else:
            lines.append(f"{i},x")
    text = "\r\n".join(lines) + "\r\n"
    data = text.encode()
    bad = data.index(b"\r\n900000,x\r\n") + len("\r\n900000,")
    path.write_bytes(data[:bad] + b"\xff" + data[bad + 1 :])
    return [
        {"line": 200_003, "column": None, "reason": "too many fields", "value": "extra"},
        {"line": 500_003, "column": "v", "reason": "too few fields", "value": "500000"},
        {"line": 750_003, "column": "id", "reason": "empty primary key", "value": ""},
        {
            "line": 900_003,
            "column": "v",
            "reason": "invalid bytes for the encoding",
            "value": "\ufffd",
        },
        {
            "line": ROWS - 5 + 3,
            "column": "v",
            "reason": "unterminated quote",
            "value": (
                "never closed\r\n" + "".join(f"{i},x\r\n" for i in range(ROWS - 4, ROWS + 1))
            )[:200],
        },
    ]


@pytest.mark.timeout(120)
def test_worker_finds_every_fault_of_a_million_rows_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "million.csv"
    expected = _generate(path)
    with loadmaster.open(tmp_path / "d", admin_password="pw", parallel_load_min_bytes=0) as db:
        db.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
        record = run_job(
            db, operation="csv_file_load", table="t", file_path=str(path), validate_only=True
        )
        assert record["status"] == "COMPLETE", record
        # The unterminated quote's row is rejected, and the five rows after it read on.
        assert record["message"] == f"validated {ROWS} records, 5 with errors"
        page = db.operation({"operation": "get_job_errors", "id": record["id"]})
        assert page["total"] == 5
        for got, want in zip(page["errors"], expected, strict=True):
            assert got == want
        assert db.operation({"operation": "describe_table", "table": "t"})["record_count"] == 0
