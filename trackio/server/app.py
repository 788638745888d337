"""The ASGI app (Starlette) and running it under uvicorn on a free port."""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from trackio.server.alert_list import alert_list, level_param
from trackio.server.media_reader import list_media, media_file, table_page
from trackio.server.reader import ProjectReader
from trackio.server.responses import (
    HANDLED,
    BadRequestError,
    JSONResponse,
    error_response,
    required,
    within_int64,
)
from trackio.server.saved_files_route import saved_files_endpoint
from trackio.server.security import LOOPBACK_HOSTS, SecurityHeaders, allowed_hosts
from trackio.server.series_route import series_post
from trackio.server.team import ReadGuard, Team, team_routes

DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "dashboard" / "dist"
DEFAULT_PORT = 7860
_PORT_ATTEMPTS = 100
DEFAULT_MAX_POINTS = 1000
_MAX_POINTS_LIMIT = 100_000
_MAX_TABLE_ROWS = 10_000
_DEFAULT_TABLE_ROWS = 100
_IMMUTABLE = "public, max-age=31536000, immutable"

_NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>trackio</title>
<h1>The trackio dashboard is not built</h1>
<p>Its files are made by npm when the package is installed:
run <code>pip install -e .</code> in a checkout with Node.js and npm on the PATH.
The JSON API under <code>/api/</code> works regardless.</p>"""


def _optional_int(request: Request, name: str, lowest: int | None = None) -> int | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadRequestError(
            f"query parameter {name!r} must be an integer, got {value!r}"
        ) from None
    if lowest is not None and number < lowest:
        raise BadRequestError(f"query parameter {name!r} must be at least {lowest}, got {number}")
    return within_int64(f"query parameter {name!r}", number)


def _bounded_int(request: Request, name: str, default: int, highest: int) -> int:
    value = _optional_int(request, name)
    value = default if value is None else value
    if not 1 <= value <= highest:
        raise BadRequestError(f"{name} must be between 1 and {highest}")
    return value


def _run_ids(request: Request) -> list[str] | None:
    runs = request.query_params.get("runs")
    return runs.split(",") if runs else None


def _after(request: Request, what: str = "step") -> dict[str, int]:
    cursors = {}
    for item in filter(None, request.query_params.get("after", "").split(",")):
        run_id, _, number_text = item.rpartition(":")
        try:
            number = int(number_text)
        except ValueError:
            label = what.upper().replace(" ", "_")
            raise BadRequestError(
                f"'after' entries look like RUN_ID:{label}, got {item!r}"
            ) from None
        cursors[run_id] = within_int64("query parameter 'after'", number)
    return cursors


def create_app(
    reader: ProjectReader | None = None,
    hosts: Sequence[str] = LOOPBACK_HOSTS,
    team: Team | None = None,
) -> Starlette:
    """The dashboard app: `/api/...` JSON endpoints and the built browser app at `/`,
    answering only requests whose `Host` is one of `hosts` (see `allowed_hosts`); with
    `team`, also the ingest API clients log through (see `trackio.server.team`)."""
    reader = reader or ProjectReader()

    def endpoint(handler: Callable[[Request], Any]) -> Callable[[Request], Response]:
        def respond(request: Request) -> Response:
            try:
                return JSONResponse(handler(request))
            except HANDLED as error:
                return error_response(error)

        return respond

    def projects(request: Request) -> dict[str, Any]:
        return {"projects": reader.projects()}

    def runs(request: Request) -> dict[str, Any]:
        return reader.runs(required(request, "project"), request.query_params.get("cursor") or None)

    def metrics(request: Request) -> dict[str, Any]:
        project = required(request, "project")
        payload: dict[str, Any] = {"metrics": reader.metrics(project)}
        # Only when there are any, as `run_ids` in /api/runs: the answer of a project
        # without system metrics is what it always was.
        system = reader.system_metrics(project)
        if system:
            payload["system"] = system
        return payload

    def series(request: Request) -> dict[str, Any]:
        max_points = _bounded_int(request, "max_points", DEFAULT_MAX_POINTS, _MAX_POINTS_LIMIT)
        metrics = request.query_params.getlist("metric")
        if not metrics or not all(metrics):
            raise BadRequestError("query parameter 'metric' is required (repeat it for several)")
        return reader.series(
            required(request, "project"),
            metrics,
            run_ids=_run_ids(request),
            x=request.query_params.get("x") or "step",
            max_points=max_points,
            after=_after(request),
            step_min=_optional_int(request, "step_min"),
            step_max=_optional_int(request, "step_max"),
        ).json()

    def media(request: Request) -> dict[str, Any]:
        return {
            "media": list_media(
                reader.store(required(request, "project")),
                _run_ids(request),
                request.query_params.get("kind") or None,
                request.query_params.get("key") or None,
                _after(request, "media id"),
            )
        }

    def alerts(request: Request) -> dict[str, Any]:
        # The level is checked before the project is opened: a bad query is a 400
        # whether or not the project exists.
        level = level_param(request.query_params.get("level"))
        store = reader.store(required(request, "project"))
        return {"alerts": alert_list(store, level, _run_ids(request))}

    def table(request: Request) -> dict[str, Any]:
        limit = _bounded_int(request, "limit", _DEFAULT_TABLE_ROWS, _MAX_TABLE_ROWS)
        return table_page(
            reader.store(required(request, "project")),
            required(request, "run"),
            required(request, "key"),
            _optional_int(request, "step", lowest=0),
            _optional_int(request, "offset", lowest=0) or 0,
            limit,
            request.query_params.get("sort") or None,
            request.query_params.get("desc") in ("1", "true"),
        )

    def file(request: Request) -> Response:
        try:
            store = reader.store(required(request, "project"))
            path, content_type = media_file(store, required(request, "path"))
        except HANDLED as error:
            return error_response(error)
        # Media file names are unique per logged object and never rewritten. Opened as a
        # page, a file runs no script (sandbox), whoever logged it.
        headers = {"Cache-Control": _IMMUTABLE, "Content-Security-Policy": "sandbox"}
        return FileResponse(path, media_type=content_type, headers=headers)

    def frozen(request: Request) -> Response:
        from trackio.server.frozen_archive import frozen_archive

        try:
            body = frozen_archive(required(request, "project"))
        except HANDLED as error:
            return error_response(error)
        return Response(body, media_type="application/gzip", headers={"Cache-Control": "no-store"})

    routes: list[Any] = [
        *(team_routes(team) if team is not None else []),
        Route("/api/file", file),
        Route("/api/freeze", frozen),
        Route("/api/alerts", endpoint(alerts)),
        Route("/api/media", endpoint(media)),
        Route("/api/table", endpoint(table)),
        Route("/api/projects", endpoint(projects)),
        Route("/api/runs", endpoint(runs)),
        Route("/api/metrics", endpoint(metrics)),
        Route("/api/series", endpoint(series)),
        Route(
            "/api/series",
            series_post(reader, DEFAULT_MAX_POINTS, _MAX_POINTS_LIMIT),
            methods=["POST"],
        ),
        Route("/api/saved{rest:path}", saved_files_endpoint(reader)),
    ]
    if (DASHBOARD_DIR / "index.html").is_file():
        routes.append(Mount("/", StaticFiles(directory=DASHBOARD_DIR, html=True)))
    else:
        routes.append(Route("/", lambda request: HTMLResponse(_NOT_BUILT)))
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)),
        # A chart of 1,000 runs is megabytes of JSON numbers: compressed for browsers
        # that ask (level 5: most of level 9's gain at a fraction of its time). Media
        # types already compressed are left alone by the middleware.
        Middleware(GZipMiddleware, minimum_size=1024, compresslevel=5),
    ]
    if team is not None and team.access.read_token is not None:
        middleware.append(Middleware(ReadGuard, access=team.access))
    return Starlette(routes=routes, middleware=middleware)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on `port`, or the next free port above it (`port=0`: any)."""
    last_error: OSError | None = None
    for candidate in [0] if port == 0 else range(port, port + _PORT_ATTEMPTS):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # Naming IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections;
        # without it small responses wait ~40 ms for delayed ACKs.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError as error:
            sock.close()
            if error.errno != errno.EADDRINUSE:
                raise OSError(f"cannot listen on {host!r}: {error.strerror or error}") from None
            last_error = error
            continue
        sock.listen(128)
        sock.set_inheritable(True)
        return sock
    raise OSError(f"no free port from {port} to {port + _PORT_ATTEMPTS - 1}: {last_error}")


@dataclass
class ServerHandle:
    """A running dashboard server: its URL, and `stop()`."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread
    reader: ProjectReader
    team: Team | None = None

    def __iter__(self) -> Iterator[Any]:
        """`app, url, share_url, full_url = trackio.show(block=False)`, as the PyPI trackio
        returns them (there is no share link: `share_url` is None)."""
        return iter((self.server.config.app, self.url, None, self.url))

    def stop(self) -> None:
        """Shut the server down, wait for it, and close the project files it read."""
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.reader.close()
        if self.team is not None:
            self.team.close()


def start_server(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    allowed: Sequence[str] = (),
    team: Team | None = None,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> ServerHandle:
    """Serve the dashboard (and with `team`, the ingest API) from a background thread;
    returns once it accepts connections.

    Requests must name this machine (`localhost`, the loopback addresses, `host`) or one
    of `allowed` in their `Host` header. No access log is kept: a token in a URL must
    not land in one."""
    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    reader = ProjectReader()
    app = create_app(reader, allowed_hosts(host, allowed), team)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="trackio-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the dashboard server did not start")
        time.sleep(0.01)
    shown_host = f"[{host}]" if ":" in host else host
    scheme = "https" if ssl_certfile else "http"
    return ServerHandle(f"{scheme}://{shown_host}:{bound_port}/", server, thread, reader, team)
