"""`trackio.Histogram`: a distribution, binned in the writer thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trackio.media.base import Media, to_numpy

MAX_BINS = 512


class Histogram(Media):
    """A histogram to log: from raw values (`sequence`, binned into `num_bins`), or
    from a precomputed `np_histogram=(counts, edges)` as `numpy.histogram` returns."""

    kind = "histogram"

    def __init__(
        self,
        sequence: Any = None,
        np_histogram: tuple[Any, Any] | None = None,
        num_bins: int = 64,
        **_: Any,
    ) -> None:
        super().__init__(None)
        if not 1 <= num_bins <= MAX_BINS:
            raise ValueError(f"num_bins must be between 1 and {MAX_BINS}, got {num_bins}")
        self.num_bins = num_bins
        self._values: Any = None
        self._given: tuple[Any, Any] | None = None
        if np_histogram is not None:
            counts, edges = (to_numpy(part).astype(float) for part in np_histogram)
            if counts.ndim != 1 or edges.shape != (len(counts) + 1,):
                raise ValueError(
                    "np_histogram must be (counts, edges) with len(edges) = len(counts) + 1"
                )
            self._given = (counts, edges)
        elif sequence is not None:
            self._values = to_numpy(sequence).astype(float).ravel()
        else:
            raise ValueError("trackio.Histogram needs a sequence or np_histogram")

    def bins(self) -> tuple[list[float], list[float]]:
        """(edges, counts) of the histogram; NaN and infinite values are left out."""
        import numpy as np

        if self._given is not None:
            counts, edges = self._given
        else:
            finite = self._values[np.isfinite(self._values)]
            counts, edges = np.histogram(finite, bins=self.num_bins)
        return [float(e) for e in edges], [float(c) for c in counts]

    def write(self, folder: Path, stem: str) -> tuple[str | None, dict[str, Any]]:
        """No file: the bins go into the record itself."""
        edges, counts = self.bins()
        return None, {"edges": edges, "counts": counts}
