"""Who may write to and read from a team server: tokens, compared in constant time.

Writes need the write token (header `X-Trackio-Write-Token`, or `write_token` in the
query); a Space's server also takes a Hugging Face token that may write to the Space
(header `Authorization: Bearer`). Reads need the read token when the server has one (header
`X-Trackio-Read-Token`, the `trackio_read_token` cookie the dashboard's sign-in sets,
or `read_token` in the query); the write token also allows reading.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from trackio.server.hub_writers import HubWriters

WRITE_HEADER = "x-trackio-write-token"
READ_HEADER = "x-trackio-read-token"
READ_COOKIE = "trackio_read_token"


def new_token() -> str:
    """A random token, for a server started without one."""
    return secrets.token_urlsafe(24)


def _matches(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class Access:
    """The server's tokens. `read_token` None: anyone who reaches it may read. `hub`:
    the Space whose writers' Hugging Face tokens are taken too."""

    write_token: str
    read_token: str | None = None
    hub: HubWriters | None = None

    def can_write(self, request: HTTPConnection) -> bool:
        """Whether the request carries the write token (or a Hub token that may write)."""
        given = request.headers.get(WRITE_HEADER) or request.query_params.get("write_token")
        if _matches(given, self.write_token):
            return True
        bearer = hub_bearer(request)
        return self.hub is not None and bearer is not None and self.hub.allows(bearer)

    def can_read(self, request: HTTPConnection) -> bool:
        """Whether the request may read: no read token is set, or it carries one."""
        if self.read_token is None:
            return True
        given = (
            request.headers.get(READ_HEADER)
            or request.cookies.get(READ_COOKIE)
            or request.query_params.get("read_token")
        )
        return _matches(given, self.read_token) or self.can_write(request)

    def is_read_token(self, token: str | None) -> bool:
        """Whether `token` is the read token (or the write token)."""
        return _matches(token, self.read_token) or _matches(token, self.write_token)


def hub_bearer(request: HTTPConnection) -> str | None:
    """The Hugging Face token of an `Authorization: Bearer` header, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
