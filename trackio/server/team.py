"""What a team server adds to the dashboard: the ingest API clients log through, and
tokens guarding writes (always) and reads (when the server has a read token).

- `GET /version`: what this server speaks (open to anyone).
- `POST /api/runs/open`: open (or continue) a run for a client's `init()`.
- `POST /api/ingest`: store one batch (`trackio.remote.wire`), exactly once per id.
- `POST /api/session`: the dashboard's sign-in: a correct read token sets a cookie.

Bodies are read up to `max_body_bytes` (413 past it, compressed or not); decoding and
storing run in worker threads, so a big batch never stalls the dashboard.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

import trackio
from trackio.remote.wire import DecodedBatch, WireFormatError
from trackio.remote.wire_decoding import decode_batch, decode_run_request
from trackio.server.access import READ_COOKIE, Access, hub_bearer
from trackio.server.openapi import openapi_document
from trackio.server.pypi import pypi_routes
from trackio.server.request_body import BodyTooLarge, read_body
from trackio.server.responses import HANDLED, JSONResponse, error_response
from trackio.server.store_cache import StoreCache
from trackio.storage import ProjectStore, open_store
from trackio.storage.errors import ProjectFileGoneError
from trackio.storage.paths import validate_project_name
from trackio.storage.records import RunRequest

T = TypeVar("T")
API_VERSION = 1
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
_OPEN_PATHS = ("/version", "/openapi.json", "/api/session")


def _open_for_writing(project: str) -> ProjectStore:
    return open_store(project, write=True, create=True)


def _one_thread(name: str) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)


@dataclass
class Team:
    """A team server's settings, its writable stores, and the one thread that stores
    batches: a run's implicit steps are numbered without races, and batches are not
    interleaved. Opening a run (one short write) runs on the worker threads, so an
    `init()` never waits behind big batches; reading and checking bodies do too."""

    access: Access
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    writers: StoreCache = field(default_factory=lambda: StoreCache(_open_for_writing))
    _writing: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="trackio-ingest"
        )
    )

    async def write(self, action: Callable[[], T]) -> T:
        """Run `action` on the writing thread and return its result."""
        return await asyncio.wrap_future(self._writing.submit(action))

    def close(self) -> None:
        """Finish the writes under way, then close the stores."""
        self._writing.shutdown(wait=True)
        self.writers.close(checkpoint=True)


def refused(request: Request, access: Access, *, write: bool = True) -> Response | None:
    """None if the request may write (or, with `write=False`, read); else the answer:
    401 without a token, 403 with a wrong one."""
    if (access.can_write if write else access.can_read)(request):
        return None
    if request.headers.get("x-trackio-write-token") or request.query_params.get("write_token"):
        return JSONResponse({"error": "the write token is wrong"}, status_code=403)
    if write and access.hub is not None and hub_bearer(request) is not None:
        return JSONResponse(
            {"error": f"this Hugging Face token may not write to the Space {access.hub.space_id}"},
            status_code=403,
        )
    what = "writing" if write else "reading"
    return JSONResponse(
        {"error": f"{what} needs the server's token (header X-Trackio-Write-Token)"},
        status_code=401,
    )


async def guarded_body(request: Request, team: Team, *, write: bool = True) -> bytes | Response:
    """The request's body if it may write (or read), else the refusal; 413 for a body
    over the limit, 400 for broken gzip."""
    refusal = refused(request, team.access, write=write)
    if refusal is not None:
        return refusal
    try:
        return await read_body(request, team.max_body_bytes)
    except BodyTooLarge:
        return JSONResponse(
            {"error": f"the body is over this server's limit of {team.max_body_bytes} bytes"},
            status_code=413,
        )
    except WireFormatError as error:
        return JSONResponse({"error": str(error)}, status_code=400)


def team_routes(team: Team) -> list[Route]:
    """The routes a team server adds to the dashboard's."""

    async def version(request: Request) -> Response:
        return JSONResponse(
            {"api_version": API_VERSION, "server": "trackio", "version": trackio.__version__}
        )

    async def ingest(request: Request) -> Response:
        body = await guarded_body(request, team)
        if isinstance(body, Response):
            return body
        try:
            batch = await run_in_threadpool(decode_batch, body, team.max_body_bytes)
            return JSONResponse(await team.write(lambda: _store_batch(team, batch)))
        except HANDLED as error:
            return error_response(error, writing=True)

    async def open_run(request: Request) -> Response:
        body = await guarded_body(request, team)
        if isinstance(body, Response):
            return body
        try:
            project, run = await run_in_threadpool(_open_request, body)
            # Not queued behind big batches on the writing thread: init() is waiting.
            return JSONResponse(await run_in_threadpool(_open_run, team, project, run))
        except HANDLED as error:
            return error_response(error, writing=True)

    async def session(request: Request) -> Response:
        try:
            token = json.loads(await read_body(request, 4096)).get("token")
        except (ValueError, AttributeError, BodyTooLarge, RecursionError):
            token = None
        if not team.access.is_read_token(token if isinstance(token, str) else None):
            return JSONResponse({"error": "that is not this server's read token"}, 403)
        response = JSONResponse({"ok": True})
        response.set_cookie(
            READ_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document(trackio.__version__))

    return [
        Route("/version", version),
        Route("/openapi.json", openapi),
        Route("/api/ingest", ingest, methods=["POST"]),
        Route("/api/runs/open", open_run, methods=["POST"]),
        Route("/api/session", session, methods=["POST"]),
        *pypi_routes(team),
    ]


def _store_batch(team: Team, batch: DecodedBatch) -> dict[str, Any]:
    try:
        return _store_batch_once(team, batch)
    except ProjectFileGoneError:
        # The project was deleted on the server: a new one begins with this batch.
        team.writers.forget(batch.project)
        return _store_batch_once(team, batch)


def _store_batch_once(team: Team, batch: DecodedBatch) -> dict[str, Any]:
    store = team.writers.store(batch.project)
    if store.has_batch(batch.batch_id):
        return {"stored": 0, "duplicate": True, "missing_runs": []}
    for opening in batch.opens:
        store.open_run(opening.request)
    result = store.append(batch.runs, batch_id=batch.batch_id)
    return {
        "stored": 0 if result.duplicate else batch.points,
        "duplicate": result.duplicate,
        "missing_runs": result.missing_runs,
    }


def _open_request(body: bytes) -> tuple[str, RunRequest]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise WireFormatError(f"the body is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise WireFormatError("the body must be a JSON object")
    try:
        project = validate_project_name(document.get("project"))
    except (TypeError, ValueError) as error:
        raise WireFormatError(f"'project': {error}") from None
    return project, decode_run_request(document.get("run"), "run", needs_id=False)


def _open_run(team: Team, project: str, request: RunRequest) -> dict[str, Any]:
    opened = team.writers.store(project).open_run(request)
    record = opened.record
    return {
        "run_id": record.run_id,
        "name": record.name,
        "group": record.group,
        "job_type": record.job_type,
        "notes": record.notes,
        "tags": record.tags,
        "config": record.config,
        "summary_overrides": record.summary_overrides,
        "metric_defs": record.metric_defs,
        "start_step": opened.start_step,
        "resumed": opened.previous is not None,
    }


# A series query names many runs, too many for a URL: it is a read sent as a POST.
_READ_POSTS = {"/api/series"}


def _reads(method: str | None, path: str) -> bool:
    return method in ("GET", "HEAD") or (method == "POST" and path in _READ_POSTS)


class ReadGuard:
    """ASGI middleware: API reads need the read token (the app's own files do not, so
    the dashboard can load and ask for it)."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an `/api/` read without the read token with 401."""
        path = scope.get("path", "")
        if (
            scope["type"] == "http"
            and path.startswith("/api/")
            and path not in _OPEN_PATHS
            and _reads(scope.get("method"), path)
            and not self.access.can_read(Request(scope))
        ):
            response = JSONResponse(
                {"error": "this dashboard needs its read token", "needs": "read_token"},
                status_code=401,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
