"""`init()` against a team server: ask it to open the run, or start offline.

The server answers within `OPEN_TIMEOUT_SECONDS` with the run as it stored it (a
resumed run's config, summary and next step included). When it cannot be reached, or
refuses the token, the run starts here with an id made here; its opening travels with
its first spooled batch, and nothing logged is lost.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trackio.remote.http import NETWORK_ERRORS, Connection, ServerAddress, error_text
from trackio.remote.pypi_protocol import is_pypi_server
from trackio.remote.wire import run_request_document
from trackio.storage.records import RunRequest

OPEN_TIMEOUT_SECONDS = 5.0
OPEN_PATH = "/api/runs/open"


class TokenRefused(RuntimeError):
    """The server refused the write token (401/403)."""


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


_said_refused: set[str] = set()
_said_lock = threading.Lock()


def say_token_refused_once(server: str, message: str) -> None:
    """Print `message` unless this process already said that `server` refused its token
    (`init()` and the sender thread may both find out, in either order)."""
    with _said_lock:
        if server in _said_refused:
            return
        _said_refused.add(server)
    _say(message)


def token_refused_message(address: ServerAddress, reason: str) -> str:
    """The one message a process prints when the server refuses its token."""
    hint = "set TRACKIO_WRITE_TOKEN" if not address.token else "check TRACKIO_WRITE_TOKEN"
    return (
        f"trackio: the server {address.url} refused the write token ({reason}); {hint}. "
        "Values are kept in a local spool; `trackio sync --pending` sends them once the "
        "token is right"
    )


@dataclass
class OpenedRemotely:
    """The run as the server opened it (or as it will, for a run started offline)."""

    run_id: str
    name: str
    config: dict[str, Any]
    start_step: int = 0
    summary_overrides: dict[str, Any] = field(default_factory=dict)
    metric_defs: dict[str, Any] = field(default_factory=dict)
    group: str | None = None
    job_type: str | None = None
    notes: str | None = None
    tags: list[str] = field(default_factory=list)


def open_on_server(
    address: ServerAddress,
    project: str,
    request: RunRequest,
    said_unreachable: Callable[[], None] = lambda: None,
) -> OpenedRemotely | None:
    """The run as the server opened it, or None if the server could not be asked (a
    message says why, and `said_unreachable` is called when it was not reached).
    Refused credentials raise `TokenRefused`; a request the server refuses
    (`resume="must"` for a run it does not have, a bad name) is a `ValueError` with
    its message."""
    connection = Connection(address, timeout=OPEN_TIMEOUT_SECONDS)
    try:
        status, answer = connection.request("GET", "/version")
        if status == 200 and is_pypi_server(answer):
            # Its protocol has no opening: the run begins with its first values there.
            return None
        status, answer = connection.post_json(
            OPEN_PATH, {"project": project, "run": run_request_document(request)}
        )
    except NETWORK_ERRORS as error:
        _say(
            f"trackio: cannot reach the server {address.url} ({error}); the run starts here and "
            "its values wait in a local spool until the server answers"
        )
        said_unreachable()
        return None
    finally:
        connection.close()
    if status in (401, 403):
        raise TokenRefused(error_text(status, answer))
    if 400 <= status < 500 and status != 404:
        raise ValueError(
            f"the server {address.url} refused to open the run: {error_text(status, answer)}"
        )
    if (
        status != 200
        or not isinstance(answer, dict)
        or not isinstance(answer.get("run_id"), str)
        or not isinstance(answer.get("name"), str)
    ):
        _say(
            f"trackio: the server {address.url} could not open the run "
            f"({error_text(status, answer)}); the run starts here and its values wait in a "
            "local spool"
        )
        return None
    return OpenedRemotely(
        run_id=answer["run_id"],
        name=answer["name"],
        config=answer.get("config") or {},
        start_step=int(answer.get("start_step") or 0),
        summary_overrides=answer.get("summary_overrides") or {},
        metric_defs=answer.get("metric_defs") or {},
        group=answer.get("group"),
        job_type=answer.get("job_type"),
        notes=answer.get("notes"),
        tags=answer.get("tags") or [],
    )
