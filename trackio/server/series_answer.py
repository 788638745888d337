"""One run's series as the dashboard API answers it: downsampled points, narrowed to
float32 where that loses nothing that matters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trackio.server.downsample import Downsampled


@dataclass(frozen=True)
class SeriesAnswer:
    """A run's series: x, y, and per bucket y's min and max (None when the points are
    raw), the last step stored and how many points there are in all."""

    run_id: str
    x: np.ndarray
    y: np.ndarray
    y_min: np.ndarray | None
    y_max: np.ndarray | None
    last_step: int | None
    total: int

    @classmethod
    def of(
        cls, run_id: str, reduced: Downsampled, last_step: int | None, total: int
    ) -> SeriesAnswer:
        """The answer for `reduced`, its values narrowed where that is harmless."""
        if reduced.y_min is None or reduced.y_max is None:
            (y,) = narrowed([reduced.y], exact=True)
            return cls(run_id, reduced.x, y, None, None, last_step, total)
        y, y_min, y_max = narrowed([reduced.y, reduced.y_min, reduced.y_max], exact=False)
        return cls(run_id, reduced.x, y, y_min, y_max, last_step, total)

    @property
    def downsampled(self) -> bool:
        """Whether points were merged into buckets (then min and max are given)."""
        return self.y_min is not None

    def json(self) -> dict[str, Any]:
        """The answer as `/api/series` writes it in JSON."""
        return {
            "run": self.run_id,
            "x": self.x,
            "y": self.y,
            "min": self.y_min,
            "max": self.y_max,
            "last_step": self.last_step,
            "downsampled": self.downsampled,
            "total": self.total,
        }


def narrowed(arrays: list[np.ndarray], exact: bool) -> list[np.ndarray]:
    """The arrays as float32 (half the bytes) when that loses nothing that matters: raw
    points only if each is exactly a float32; bucket means and extremes when their
    envelope is within float32's range (a 7-digit mean of a bucket is as good)."""
    with np.errstate(over="ignore"):
        narrow = [values.astype(np.float32) for values in arrays]
    if exact:
        values = arrays[0]
        finite = np.isfinite(values)
        keeps = np.array_equal(narrow[0].astype(np.float64)[finite], values[finite])
    else:
        envelope = np.abs(np.concatenate(arrays[1:]))
        envelope = envelope[np.isfinite(envelope)]
        keeps = bool(np.all((envelope == 0) | ((envelope > 1e-30) & (envelope < 1e38))))
    return narrow if keeps else arrays
