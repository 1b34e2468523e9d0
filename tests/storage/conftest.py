"""Fixtures for the storage tests: a real store in a temporary directory."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from loadmaster.storage import Store, Table


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "db") as opened:
        yield opened


@pytest.fixture
def dogs(store: Store) -> Table:
    return store.create_table("dev", "dog", "id")
