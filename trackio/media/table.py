"""`trackio.Table`: rows of scalars, text and media (lists of images too), stored as JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from trackio.formatting import to_jsonable
from trackio.media.base import Encoded, Media, MediaEncodingError, atomic_write


class Table(Media):
    """A table to log: `trackio.Table(columns=["prompt", "images"], data=[[...], ...])`,
    or `trackio.Table(dataframe=df)`. Cells may be numbers, strings, None, media
    objects (`trackio.Image`, ...), or lists and dicts holding them, as TRL logs
    completions. `log()` keeps a copy, so changing the table afterwards does not
    change what was logged."""

    kind = "table"

    def __init__(
        self,
        columns: list[Any] | None = None,
        data: list[list[Any]] | None = None,
        dataframe: Any = None,
        rows: list[list[Any]] | None = None,
        **_: Any,
    ) -> None:
        super().__init__(None)
        if dataframe is not None:
            columns = [str(column) for column in dataframe.columns]
            data = dataframe.values.tolist()
        data = [list(row) for row in (data if data is not None else rows or [])]
        if columns is None:
            columns = [f"column_{i + 1}" for i in range(len(data[0]) if data else 0)]
        self.columns = [str(column) for column in columns]
        for index, row in enumerate(data):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table row {index} has {len(row)} cells for {len(self.columns)} columns"
                )
        self.data = data

    def add_data(self, *row: Any) -> None:
        """Append one row, as `wandb.Table.add_data` does."""
        if len(row) != len(self.columns):
            raise ValueError(f"row has {len(row)} cells for {len(self.columns)} columns")
        self.data.append(list(row))

    def snapshot(self) -> Table:
        """A copy of the rows as they are now (media objects inside are shared)."""
        copy = Table(columns=list(self.columns))
        copy.data = [[_copy_cell(cell) for cell in row] for row in self.data]
        return copy

    def prepare(self) -> None:
        """Encode every media object in the cells (before the write lock is taken)."""
        for row in self.data:
            for cell in row:
                for item in _media_in(cell):
                    item.prepare()

    def _encode(self) -> Encoded:
        raise NotImplementedError("tables are written by write()")

    def write(self, folder: Path, stem: str) -> tuple[str | None, dict[str, Any]]:
        """Write each media cell's file, then the table as JSON; return its name and shape."""
        cells = [
            [_cell(value, folder, f"{stem}-r{r}c{c}") for c, value in enumerate(row)]
            for r, row in enumerate(self.data)
        ]
        name = f"{stem}.json"
        document = {"columns": self.columns, "data": cells}
        atomic_write(folder / name, json.dumps(document, default=to_jsonable).encode("utf-8"))
        return name, {"rows": len(cells), "columns": self.columns}

    def files_written(self, folder: Path, stem: str, name: str | None) -> list[str]:
        """The table's JSON and its cells' files (named `stem-r<row>c<column>...`)."""
        return sorted(path.name for path in folder.glob(f"{stem}*"))


def _copy_cell(cell: Any) -> Any:
    if isinstance(cell, list | tuple):
        return [_copy_cell(value) for value in cell]
    if isinstance(cell, dict):
        return {key: _copy_cell(value) for key, value in cell.items()}
    return cell


def _media_in(cell: Any) -> list[Media]:
    if isinstance(cell, Media):
        return [cell]
    if isinstance(cell, list | tuple):
        return [item for value in cell for item in _media_in(value)]
    if isinstance(cell, dict):
        return [item for value in cell.values() for item in _media_in(value)]
    return []


def _cell(value: Any, folder: Path, stem: str) -> Any:
    if isinstance(value, Media):
        return media_cell(value, folder, stem)
    if isinstance(value, list | tuple):
        return [_cell(v, folder, f"{stem}-{i}") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): _cell(v, folder, f"{stem}-{i}") for i, (k, v) in enumerate(value.items())}
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    return value


def media_cell(value: Media, folder: Path, stem: str) -> dict[str, Any]:
    """Write a media object found inside a table; its JSON stand-in (without a path,
    and with the reason, if it could not be encoded)."""
    try:
        name, meta = value.write(folder, stem)
    except MediaEncodingError as error:
        return {"_type": value.kind, "path": None, "caption": value.caption, "error": str(error)}
    return {"_type": value.kind, "path": name, "caption": value.caption, **meta}
