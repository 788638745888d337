"""`POST /api/series`: the series query in a JSON body, answered as JSON or packed.

A chart of a 1,000-run sweep names 1,000 run ids: in a URL that is beyond what
many proxies in front of a server take (nginx's default is 8 KB a line), so the
dashboard sends them in the body. With `"format": "packed"` the answer is binary
(see `trackio.server.packed_series`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from trackio.server.packed_series import MEDIA_TYPE, pack_series
from trackio.server.reader import ProjectReader
from trackio.server.request_body import BodyTooLarge, read_body
from trackio.server.responses import (
    HANDLED,
    BadRequestError,
    JSONResponse,
    error_response,
    within_int64,
)

_MAX_BODY = 8 * 1024 * 1024
_FIELDS = {"project", "metrics", "runs", "x", "max_points", "after", "step_min", "step_max"}
_FORMATS = ("json", "packed")


def series_post(
    reader: ProjectReader, default_points: int, most_points: int
) -> Callable[[Request], Any]:
    """The route's endpoint: the body is `{"project", "metrics": [...], "runs": [...]
    (absent or null: every run), "x", "max_points", "after": {run_id: step},
    "step_min", "step_max", "format": "json" | "packed"}`."""

    async def endpoint(request: Request) -> Response:
        try:
            raw = await read_body(request, _MAX_BODY)
            query, packed = _parse(raw, default_points, most_points)
            if packed:
                body = await run_in_threadpool(_packed, reader, query)
                return Response(body, media_type=MEDIA_TYPE)
            return JSONResponse(await run_in_threadpool(lambda: reader.series(**query).json()))
        except BodyTooLarge:
            return JSONResponse(
                {"error": f"the request body is over this server's limit of {_MAX_BODY} bytes"},
                status_code=413,
            )
        except HANDLED as error:
            return error_response(error)

    return endpoint


def _packed(reader: ProjectReader, query: dict[str, Any]) -> bytes:
    return pack_series(reader.series(**query))


def _parse(raw: bytes, default_points: int, most_points: int) -> tuple[dict[str, Any], bool]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise BadRequestError(f"the request body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise BadRequestError("the request body must be a JSON object")
    unknown = sorted(set(body) - _FIELDS - {"format"})
    if unknown:
        raise BadRequestError(f"unknown field(s) in the request body: {', '.join(unknown)}")
    fmt = body.get("format", "json")
    if fmt not in _FORMATS:
        raise BadRequestError(f"'format' must be one of {', '.join(_FORMATS)}, got {fmt!r}")
    project = body.get("project")
    if not isinstance(project, str) or not project:
        raise BadRequestError("'project' is required (a project name)")
    metrics = body.get("metrics")
    if not _strings(metrics) or not metrics:
        raise BadRequestError("'metrics' is required: a list of metric names")
    runs = body.get("runs")
    if runs is not None and not _strings(runs):
        raise BadRequestError("'runs' must be a list of run ids (or null for every run)")
    x = body.get("x", "step")
    if not isinstance(x, str) or not x:
        raise BadRequestError("'x' must be an axis name")
    max_points = _integer(body, "max_points", default_points)
    if not 1 <= max_points <= most_points:
        raise BadRequestError(f"max_points must be between 1 and {most_points}")
    after = body.get("after") or {}
    if not isinstance(after, dict):
        raise BadRequestError("'after' must be an object of run id to step")
    query = {
        "project": project,
        "metrics": metrics,
        "run_ids": runs,
        "x": x,
        "max_points": max_points,
        "after": {run_id: _step(after, run_id) for run_id in after},
        "step_min": _integer(body, "step_min", None),
        "step_max": _integer(body, "step_max", None),
    }
    return query, fmt == "packed"


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _integer(body: dict[str, Any], name: str, default: int | None) -> Any:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequestError(f"{name!r} must be an integer, got {value!r}")
    return within_int64(repr(name), value)


def _step(after: dict[str, Any], run_id: str) -> int:
    step = _integer(after, run_id, None)
    if step is None:
        raise BadRequestError(
            f"'after' gives each run id the last step it has, not null ({run_id!r})"
        )
    return int(step)
