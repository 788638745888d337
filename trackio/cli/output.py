"""Printing command results: JSON for machines, aligned text for people; clear errors."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from trackio.formatting import iso_utc, json_safe
from trackio.storage import ProjectStore, open_store


class CommandError(Exception):
    """Ends a command with exit code 1 and this one-line message."""


def error_line(error: BaseException) -> str:
    """`Type: first line of the message`: a library's error in a one-line message."""
    return f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0]}"


def count(text: str) -> int:
    """An argparse type: a whole number of zero or more."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{number} is negative; give 0 or more")
    return number


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free port) to 65535."""
    number = count(text)
    if number > 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a port (0 to 65535)")
    return number


def print_json(value: Any) -> None:
    """Print `value` as strict JSON (NaN as null, infinities as strings)."""
    print(json.dumps(json_safe(value), ensure_ascii=False, allow_nan=False))


MAX_CELL_WIDTH = 60
"""A wider cell (a histogram's bins, a long text) is cut, so columns stay readable;
`--json` prints it whole."""


def _fitted(text: str) -> str:
    return text if len(text) <= MAX_CELL_WIDTH else text[: MAX_CELL_WIDTH - 3] + "..."


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows under headers in aligned columns, each cell at most `MAX_CELL_WIDTH`."""
    cells = [[_fitted(format_cell(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def format_cell(value: Any) -> str:
    """A value as table text."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def format_time(moment: float | None) -> str | None:
    """Epoch seconds as an ISO-8601 UTC timestamp to the second."""
    return iso_utc(moment, "seconds")


@contextmanager
def project_store(project: str, *, write: bool = False) -> Iterator[ProjectStore]:
    """The store of an existing project; a bad name or a value error while using it
    becomes a one-line `CommandError` (the store's own errors are `main`'s to print)."""
    try:
        with open_store(project, write=write) as store:
            yield store
    except ValueError as error:
        raise CommandError(str(error)) from None
