"""The routes of the PyPI client's protocol on a team server, and the glue that hands
their checked entries and uploads to the team's writers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trackio.server.pypi.calls import decode_call, entry_list
from trackio.server.pypi.entries import (
    Entry,
    check_alert,
    check_log,
    check_system_log,
    store_entries,
)
from trackio.server.pypi.reads import run_summary, runs_for_project
from trackio.server.pypi.uploads import Upload, check_upload, save_uploads, store_upload
from trackio.server.responses import HANDLED, JSONResponse, error_response
from trackio.storage import list_projects

if TYPE_CHECKING:
    from trackio.server.team import Team


def pypi_routes(team: Team) -> list[Route]:
    """The routes through which the PyPI trackio's client logs to a team server."""
    from trackio.server.team import guarded_body

    def bulk(
        api: str, key: str, check: Callable[[Any, int, float], Entry]
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            body = await guarded_body(request, team, write=True)
            if isinstance(body, Response):
                return body
            received = time.time()

            def check_all() -> list[Entry]:
                # Every entry is checked before any is stored.
                items = entry_list(decode_call(body, api), key)
                return [check(item, index, received) for index, item in enumerate(items)]

            try:
                # Decoding runs in a worker thread, so a big batch never stalls the
                # dashboard; storing on the team server's one writing thread.
                entries = await run_in_threadpool(check_all)
                await team.write(lambda: _store_all(team, entries))
            except HANDLED as error:
                return error_response(error, writing=True)
            return JSONResponse({"data": None})

        return endpoint

    async def upload(request: Request) -> Response:
        body = await guarded_body(request, team, write=True)
        if isinstance(body, Response):
            return body
        content_type = request.headers.get("content-type", "")
        try:
            handles = await run_in_threadpool(save_uploads, content_type, body)
        except HANDLED as error:
            return error_response(error, writing=True)
        return JSONResponse({"paths": handles})

    async def upload_media(request: Request) -> Response:
        body = await guarded_body(request, team, write=True)
        if isinstance(body, Response):
            return body

        def check_all() -> list[Upload]:
            items = entry_list(decode_call(body, "bulk_upload_media"), "uploads")
            return [check_upload(item, index) for index, item in enumerate(items)]

        try:
            uploads = await run_in_threadpool(check_all)
            await team.write(lambda: _store_uploads(team, uploads))
        except HANDLED as error:
            return error_response(error, writing=True)
        return JSONResponse({"data": None})

    def read(api: str, answer: Callable[[dict[str, Any]], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            body = await guarded_body(request, team, write=False)
            if isinstance(body, Response):
                return body
            try:
                data = await run_in_threadpool(lambda: answer(decode_call(body, api)))
            except HANDLED as error:
                return error_response(error)
            return JSONResponse({"data": data})

        return endpoint

    return [
        Route("/api/bulk_log", bulk("bulk_log", "logs", check_log), methods=["POST"]),
        Route(
            "/api/bulk_log_system",
            bulk("bulk_log_system", "logs", check_system_log),
            methods=["POST"],
        ),
        Route("/api/bulk_alert", bulk("bulk_alert", "alerts", check_alert), methods=["POST"]),
        Route("/api/upload", upload, methods=["POST"]),
        Route("/api/bulk_upload_media", upload_media, methods=["POST"]),
        Route(
            "/api/get_runs_for_project",
            read("get_runs_for_project", runs_for_project),
            methods=["POST"],
        ),
        Route("/api/get_run_summary", read("get_run_summary", run_summary), methods=["POST"]),
    ]


def _store_all(team: Team, entries: list[Entry]) -> int:
    by_project: dict[str, list[Entry]] = {}
    for entry in entries:
        by_project.setdefault(entry.project, []).append(entry)
    return sum(
        store_entries(team.writers.store(project), group) for project, group in by_project.items()
    )


def _store_uploads(team: Team, uploads: list[Upload]) -> int:
    # A file alone does not create a project: its value does, when it comes.
    existing = set(list_projects())
    return sum(
        store_upload(team.writers.store(u.project) if u.project in existing else None, u)
        for u in uploads
    )
