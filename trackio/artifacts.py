"""wandb's artifacts, which trackio does not have: a clear error saying what to use."""

from __future__ import annotations

from typing import Any, NoReturn

ARTIFACTS_UNSUPPORTED = (
    "trackio does not support artifacts. Save files with trackio.save(path) (they are "
    "kept in run.dir, listed by trackio.Api().run(...).files() and served by the "
    "dashboard), and log media and tables with trackio.Image, Video, Audio, Table or "
    "Histogram."
)


class Artifact:
    """Stands in for `wandb.Artifact` so scripts naming it import; making one raises
    `NotImplementedError` saying what to use instead (`trackio.save`, media values)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        unsupported("trackio.Artifact()")


def unsupported(call: str) -> NoReturn:
    """Raise the `NotImplementedError` every artifact call gives."""
    raise NotImplementedError(f"{call}: {ARTIFACTS_UNSUPPORTED}")
