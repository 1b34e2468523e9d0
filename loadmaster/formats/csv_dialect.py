"""The CSV dialect papaparse 5.5.3 guesses from a first chunk: its line ending and delimiter."""

import re
from itertools import pairwise

from loadmaster.formats.casting import JS_WHITESPACE

#: Delimiters papaparse tries, in its order; ``,`` when none fits.
DELIMITERS = (",", "\t", "|", ";", "\x1e", "\x1f")
_PREVIEW_ROWS = 10
_QUOTED = re.compile(r'"[\s\S]*?"')


def _guess_line_ending(text: str) -> str:
    """Return the line ending papaparse's ``guessLineEndings`` picks for a first chunk."""
    text = _QUOTED.sub("", text[: 1 << 20])
    by_cr = text.split("\r")
    by_lf = text.split("\n")
    if len(by_cr) == 1 or (len(by_lf) > 1 and len(by_lf[0]) < len(by_cr[0])):
        return "\n"
    with_lf = sum(1 for part in by_cr if part[:1] == "\n")
    return "\r\n" if with_lf >= len(by_cr) / 2 else "\r"


def _quoted_field(text: str, start: int, delimiter: str, newline: str) -> tuple[str, str, int]:
    """Read a quoted field opened at ``start`` as papaparse's ``Parser`` does.

    Return the field, what ends it (``delimiter``, ``newline`` or ``""`` at the end of the
    input) and where the next field starts. Whitespace between the closing quote and the
    next delimiter or newline is skipped; a quote followed by anything else is not closing.
    """
    size, quote = len(text), start
    while True:
        quote = text.find('"', quote + 1)
        if quote == -1:  # unterminated: the rest of the input is the field
            return text[start + 1 :], "", size
        if quote == size - 1:
            return text[start + 1 : quote], "", size
        if text[quote + 1] == '"':
            quote += 1
            continue
        found = [i for i in (text.find(delimiter, quote), text.find(newline, quote)) if i != -1]
        after = quote + 1
        if found and text[after : min(found)].strip(JS_WHITESPACE) == "":
            after = min(found)
        for ending in (delimiter, newline):
            if text.startswith(ending, after):
                return text[start + 1 : quote], ending, after + len(ending)


def _preview(text: str, delimiter: str, newline: str) -> list[list[str]]:
    """Return the first rows as papaparse's ``Parser`` (``preview: 10``) splits them."""
    if '"' not in text:
        return [line.split(delimiter) for line in text.split(newline)[:_PREVIEW_ROWS]]
    rows: list[list[str]] = []
    row: list[str] = []
    size, cursor = len(text), 0
    while len(rows) < _PREVIEW_ROWS:
        if cursor < size and text[cursor] == '"':
            field, ending, cursor = _quoted_field(text, cursor, delimiter, newline)
        else:
            at_delimiter, at_newline = text.find(delimiter, cursor), text.find(newline, cursor)
            if at_delimiter != -1 and (at_newline == -1 or at_delimiter < at_newline):
                field, ending, cursor = text[cursor:at_delimiter], delimiter, at_delimiter + 1
            elif at_newline != -1:
                field, ending, cursor = text[cursor:at_newline], newline, at_newline + len(newline)
            else:
                field, ending, cursor = text[cursor:], "", size
        row.append(field)
        if ending != delimiter:
            rows.append(row)
            row = []
            if not ending:
                break
    return rows


def guess_delimiter(text: str) -> str:
    """Pick the delimiter as papaparse's ``guessDelimiter`` does on a first chunk.

    The winner gives the most fields per row on average (more than 1.99) over the first ten
    non-empty rows without a larger change in field count between rows than an earlier
    candidate; ``,`` when no candidate qualifies.
    """
    newline = _guess_line_ending(text)
    best, best_delta, best_average = ",", 0, 0.0
    for delimiter in DELIMITERS:
        rows = [r for r in _preview(text, delimiter, newline) if r != [""]] if text else []
        delta = sum(abs(len(a) - len(b)) for a, b in pairwise(rows))
        average = sum(map(len, rows)) / len(rows) if rows else 0.0
        if average > 1.99 and (
            not best_average or (delta <= best_delta and average > best_average)
        ):
            best, best_delta, best_average = delimiter, delta, average
    return best
