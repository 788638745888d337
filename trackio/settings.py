"""`trackio.Settings`: wandb's settings object, accepted so scripts that pass one run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HONOURED_SETTINGS = ("mode", "silent", "quiet", "system_metrics", "x_disable_stats")
"""The settings `init()` acts on; the others are kept but change nothing locally."""


class Settings:
    """Any keyword arguments, kept as attributes, as `wandb.Settings(...)` takes them.

    `trackio.init(settings=...)` (a `Settings` or a dict) uses `mode` (as `init(mode=)`
    when that is not given) and `silent`/`quiet` (no start-up message); other
    settings have no local meaning, and `init` says so with one warning. Reading a
    setting that was never given returns None rather than failing, since scripts
    read wandb settings that always have a default there.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return None

    def update(self, settings: Mapping[str, Any] | Settings | None = None, **kwargs: Any) -> None:
        """Add or change settings, from a mapping, another `Settings` or keywords."""
        if settings is not None:
            self.__dict__.update(as_dict(settings))
        self.__dict__.update(kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The settings given, as a dict."""
        return dict(self.__dict__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dict

    def __repr__(self) -> str:
        given = ", ".join(f"{key}={value!r}" for key, value in self.__dict__.items())
        return f"Settings({given})"


def as_dict(settings: Any) -> dict[str, Any]:
    """The settings in `init(settings=...)`: a `Settings` or a mapping; `TypeError`
    for anything else."""
    if settings is None:
        return {}
    if isinstance(settings, Settings):
        return settings.to_dict()
    if isinstance(settings, Mapping):
        return {str(key): value for key, value in settings.items()}
    raise TypeError(
        f"init() settings must be a trackio.Settings or a dict, got {type(settings).__name__}"
    )
