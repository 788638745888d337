"""`trackio.Table`: rows of scalars, text and media (lists of images too), stored as JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from trackio.media.base import Media, atomic_write


class Table(Media):
    """A table to log: `trackio.Table(columns=["prompt", "images"], data=[[...], ...])`,
    or `trackio.Table(dataframe=df)`. Cells may be numbers, strings, None, media
    objects (`trackio.Image`, ...) or lists of them, as TRL logs completions."""

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

    def write(self, folder: Path, stem: str) -> tuple[str | None, dict[str, Any]]:
        """Write each media cell's file, then the table as JSON; return its name and shape."""
        cells = [
            [_cell(value, folder, f"{stem}-r{r}c{c}") for c, value in enumerate(row)]
            for r, row in enumerate(self.data)
        ]
        name = f"{stem}.json"
        document = {"columns": self.columns, "data": cells}
        atomic_write(folder / name, json.dumps(document, default=_jsonable).encode("utf-8"))
        return name, {"rows": len(cells), "columns": self.columns}


def _cell(value: Any, folder: Path, stem: str) -> Any:
    if isinstance(value, Media):
        return media_cell(value, folder, stem)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Media) for v in value):
        return [media_cell(v, folder, f"{stem}-{i}") for i, v in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    return value


def media_cell(value: Media, folder: Path, stem: str) -> dict[str, Any]:
    """Write a media object found inside a table; its JSON stand-in."""
    name, meta = value.write(folder, stem)
    return {"_type": value.kind, "path": name, "caption": value.caption, **meta}


def _jsonable(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", None) == 0:
        return item()
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else str(value)
