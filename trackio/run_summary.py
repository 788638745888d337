"""`run.summary`: each metric's final value, plus anything the user sets."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from trackio.formatting import to_jsonable


class Summary(MutableMapping):
    """Reads as the run's summary (the last logged value of each metric, or the
    `define_metric` aggregate); assigning a key overrides it and is saved."""

    def __init__(
        self,
        compute: Callable[[], dict[str, Any]],
        overrides: dict[str, Any],
        on_change: Callable[[str], None] | None,
        version: Callable[[], int] = lambda: 0,
    ) -> None:
        self._compute_fresh = compute
        self._overrides = overrides
        self._on_change = on_change
        self._version = version
        self._cached: tuple[int, dict[str, Any]] | None = None

    def _compute(self) -> dict[str, Any]:
        """The summary, recomputed only when something was logged or changed since."""
        version = self._version()
        if self._cached is None or self._cached[0] != version:
            self._cached = (version, self._compute_fresh())
        return self._cached[1]

    def invalidate(self) -> None:
        """Forget the cached summary (how it is computed has changed)."""
        self._cached = None

    def _changed(self) -> None:
        self._cached = None
        if self._on_change is not None:
            self._on_change(json.dumps(self._overrides, default=to_jsonable))

    def __getitem__(self, key: str) -> Any:
        if key in self._overrides:
            return self._overrides[key]
        return self._compute()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._overrides[str(key)] = value
        self._changed()

    def __delitem__(self, key: str) -> None:
        del self._overrides[key]
        self._changed()

    def __iter__(self) -> Iterator[str]:
        return iter(self._compute())

    def __len__(self) -> int:
        return len(self._compute())

    def update(self, values: Any = None, **more: Any) -> None:  # type: ignore[override]
        """Override several summary values at once."""
        merged = {**dict(values or {}), **more}
        if merged:
            self._overrides.update({str(k): v for k, v in merged.items()})
            self._changed()

    def as_dict(self) -> dict[str, Any]:
        """A plain copy of the summary."""
        return dict(self._compute())

    def __repr__(self) -> str:
        return f"Summary({self._compute()!r})"
