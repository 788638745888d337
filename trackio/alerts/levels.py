"""Alert levels, and reading the ones users pass (strings, or wandb's `AlertLevel`)."""

from __future__ import annotations

from enum import Enum
from typing import Any

LEVELS = ("INFO", "WARN", "ERROR")
"""Least grave first."""


class AlertLevel(str, Enum):
    """Alert levels by name, as `wandb.AlertLevel`: `trackio.AlertLevel.WARN`."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


def alert_level(level: Any) -> str:
    """`level` as one of `LEVELS`: a string in any case (`"warning"` is `WARN`), or an
    enum whose value or name is one; a `ValueError` naming the levels otherwise."""
    raw = getattr(level, "value", level)
    text = str(raw).strip().upper() if isinstance(raw, str) else None
    if text == "WARNING":
        text = "WARN"
    if text not in LEVELS:
        name = getattr(level, "name", None)
        text = name.upper() if isinstance(name, str) and name.upper() in LEVELS else None
    if text is None:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    return text


def at_least(level: str, minimum: str) -> bool:
    """Whether `level` is `minimum` or graver."""
    return LEVELS.index(level) >= LEVELS.index(minimum)
