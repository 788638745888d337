"""JSON responses and errors shared by the dashboard API's routes."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from trackio.storage.chunks import INT64_MAX, INT64_MIN
from trackio.storage.errors import (
    NotFoundError,
    ProjectNeedsMigrationError,
    StorageFullError,
    StorageUnavailableError,
    StoreError,
)


class JSONResponse(Response):
    """JSON through orjson: numpy arrays are written directly, NaN and inf become null."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """The JSON bytes of `content` (see `json_bytes`)."""
        return json_bytes(content)


def json_bytes(content: Any) -> bytes:
    """`content` as the API writes it: numpy arrays as lists, NaN and inf as null
    (integers beyond 64 bits, which orjson refuses, through the standard library)."""
    try:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError:
        return json.dumps(_json_safe(content), separators=(",", ":")).encode()


def _json_safe(value: Any) -> Any:
    """`value` with NaN and infinities as null and numpy arrays as lists, as orjson
    writes them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if hasattr(value, "tolist"):
        return _json_safe(value.tolist())
    return value


class BadRequestError(ValueError):
    """A query parameter is missing or malformed."""


def within_int64(what: str, number: int) -> int:
    """`number`, or a `BadRequestError` naming `what` when storage cannot hold it."""
    if not INT64_MIN <= number <= INT64_MAX:
        raise BadRequestError(f"{what} is out of range: {number}")
    return number


def required(request: Request, name: str) -> str:
    """The query parameter `name`; a `BadRequestError` if it is missing or empty."""
    value = request.query_params.get(name)
    if not value:
        raise BadRequestError(f"query parameter {name!r} is required")
    return value


HANDLED = (NotFoundError, StoreError, ValueError)
"""The errors a route answers as JSON (see `error_response`); others are bugs."""


def error_response(error: Exception, *, writing: bool = False) -> JSONResponse:
    """Unknown names are 404, a file that needs `trackio migrate` 409, bad parameters
    400; storage that is full or unavailable 503 (a client retries later), any other
    store failure 500."""
    if isinstance(error, NotFoundError):
        return JSONResponse({"error": str(error)}, status_code=404)
    if isinstance(error, ProjectNeedsMigrationError):
        return JSONResponse({"error": str(error)}, status_code=409)
    if isinstance(error, ValueError):
        return JSONResponse({"error": str(error)}, status_code=400)
    if isinstance(error, StorageFullError | StorageUnavailableError):
        return JSONResponse({"error": f"storage is not available now: {error}"}, status_code=503)
    what = "write to" if writing else "read"
    return JSONResponse({"error": f"cannot {what} the project file: {error}"}, status_code=500)
