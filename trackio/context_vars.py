"""Context variables integrations read to find the active run.

transformers, accelerate and TRL call `current_run.get()` and read that run's
`project`, `name` and `_space_id`; `current_project`, `current_space_id` and
`current_server` describe where it logs.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trackio.tracked_run import Run

current_run: ContextVar[Run | None] = ContextVar("current_run", default=None)
current_project: ContextVar[str | None] = ContextVar("current_project", default=None)
current_space_id: ContextVar[str | None] = ContextVar("current_space_id", default=None)
current_server: ContextVar[str | None] = ContextVar("current_server", default=None)
