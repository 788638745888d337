"""Reading a request's body within a limit, before any of it is kept in memory."""

from __future__ import annotations

import zlib

from starlette.requests import Request

from trackio.remote.wire import WireFormatError


class BodyTooLarge(Exception):
    """A request body over the server's limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, gunzipped when its `Content-Encoding` says gzip; `BodyTooLarge`
    when it (or what it unpacks to) is over `limit` bytes, as soon as that is known."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    body = b"".join(chunks)
    if request.headers.get("content-encoding", "").lower() == "gzip":
        unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            body = unpacker.decompress(body, limit + 1)
        except zlib.error as error:
            raise WireFormatError(f"the body is not valid gzip: {error}") from None
        if len(body) > limit or unpacker.unconsumed_tail:
            raise BodyTooLarge
    return body
