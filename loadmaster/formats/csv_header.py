"""The header row of a CSV load: HarperDB's column-name rule and papaparse's header handling.

papaparse renames repeated names; HarperDB refuses a load whose names it cannot store; and a
batch's records are built from the header by generated code, one dict display per row.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from itertools import repeat
from typing import Any

from loadmaster.errors import InvalidRequestError

_COLUMN_NAME = re.compile(r"[\x20-\x2E\x30-\x5F\x61-\x7E]*")
#: Characters of a refused column name shown in the error.
_SHOWN_NAME = 40


def check_column_names(names: Iterable[str]) -> None:
    """Refuse a load whose column names are not printable ASCII without ``/`` or backtick.

    Raises:
        InvalidRequestError: ``Invalid column name '<col>', cancelling load operation``.
    """
    for name in names:
        if not _COLUMN_NAME.fullmatch(name):
            # A header is a file's first line: show only enough of it to find the column.
            shown = name if len(name) <= _SHOWN_NAME else f"{name[:_SHOWN_NAME]}..."
            raise InvalidRequestError(f"Invalid column name '{shown}', cancelling load operation")


def rename_duplicates(names: list[str]) -> list[str]:
    """Rename repeated header names ``name_1``, ``name_2``... as papaparse 5.5 does."""
    seen: dict[str, int] = {}
    used = set(names)
    renamed = []
    for name in names:
        new = name
        if count := seen.get(name, 0):
            while f"{name}_{count}" in used:
                count += 1
            new = f"{name}_{count}"
            used.add(new)
        seen[name] = seen.get(name, 0) + 1
        renamed.append(new)
        used.add(name)
    return renamed


Builder = Callable[[Sequence[Sequence[Any]]], list[dict[str, Any]]]


def record_builder(names: list[str]) -> Builder:
    """Return a function turning typed columns into records keyed by ``names``.

    For up to 255 columns it is generated code with a dict display per row, whose constant
    keys make building a record about twice as fast as ``dict(zip(names, row))``. The code
    is made once per header: compiling it costs more than a one-row load does otherwise.
    """
    if not names or len(names) > 255:
        return lambda columns: list(map(dict, map(zip, repeat(names), zip(*columns, strict=True))))
    return _generated(tuple(names))


@lru_cache(maxsize=256)
def _generated(names: tuple[str, ...]) -> Builder:
    values = "".join(f"v{i}, " for i in range(len(names)))
    items = ", ".join(f"{name!r}: v{i}" for i, name in enumerate(names))
    source = f"lambda columns: [{{{items}}} for {values}in zip(*columns, strict=True)]"
    # Safe to evaluate: the only inputs are repr() literals of the names.
    builder: Builder = eval(source, {"zip": zip})  # noqa: S307
    return builder
