"""Progress bars for long imports: shown on a terminal, silent otherwise."""

from __future__ import annotations

import sys
from typing import Any


class _Silent:
    def update(self, count: int) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, label: str, unit: str) -> Any:
    """A tqdm bar when stderr is a terminal, else an object whose updates do nothing."""
    if not sys.stderr.isatty():
        return _Silent()
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit=unit, leave=False)
