"""Requests to a team server: one kept-alive connection per caller thread, JSON answers."""

from __future__ import annotations

import http.client
import json
import os
import ssl
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from trackio.remote.known_servers import hub_token, known_server

WRITE_TOKEN_HEADER = "X-Trackio-Write-Token"
NETWORK_ERRORS = (OSError, http.client.HTTPException)
"""What a request raises when the server cannot be reached or answers garbage."""


class ServerAddress:
    """A server URL split into where to connect and the write token to send (from
    `TRACKIO_WRITE_TOKEN`, else a `write_token` query parameter of the URL, else the
    token a `trackio deploy` from this machine remembered for it). A Hugging Face
    Space's requests also carry the user's Hugging Face token, which its proxy needs
    for a private Space and its server takes instead of a write token."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"server_url must be an http(s) URL, got {url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.base_path = parts.path.rstrip("/")
        query = parse_qs(parts.query)
        in_url = (query.get("write_token") or [""])[0]
        shown_port = "" if parts.port is None else f":{parts.port}"
        self.url = f"{parts.scheme}://{parts.hostname}{shown_port}{self.base_path}"
        """The URL without any token: what is stored and printed."""
        known = known_server(self.url)
        self.token: str | None = (
            os.environ.get("TRACKIO_WRITE_TOKEN")
            or in_url
            or (known.write_token if known else None)
        )
        self.hub_token: str | None = hub_token() if known and known.space_id else None

    def dashboard_url(self, **params: str) -> str:
        """The server's dashboard, with query parameters."""
        return f"{self.url}/" + (f"?{urlencode(params)}" if params else "")


class Connection:
    """A kept-alive connection to one server (not thread-safe: one per thread)."""

    def __init__(self, address: ServerAddress, timeout: float = 30.0) -> None:
        self.address = address
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            address = self.address
            if address.scheme == "https":
                self._conn = http.client.HTTPSConnection(
                    address.host,
                    address.port,
                    timeout=self.timeout,
                    context=ssl.create_default_context(cafile=os.environ.get("TRACKIO_CA_BUNDLE")),
                )
            else:
                self._conn = http.client.HTTPConnection(
                    address.host, address.port, timeout=self.timeout
                )
        return self._conn

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """(status, decoded JSON answer or None). Raises one of `NETWORK_ERRORS` when the
        server cannot be reached; the connection is then reopened by the next call."""
        status, data = self.request_bytes(
            method, path, body, {"Accept": "application/json", **(headers or {})}
        )
        try:
            answer = json.loads(data) if data else None
        except ValueError:
            answer = None
        return status, answer

    def request_bytes(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """(status, the answer's bytes); raises as `request` does."""
        sent = dict(headers or {})
        if self.address.token:
            sent[WRITE_TOKEN_HEADER] = self.address.token
        if self.address.hub_token:
            sent["Authorization"] = f"Bearer {self.address.hub_token}"
        reused = self._conn is not None
        try:
            response, data = self._send(method, path, body, sent)
        except NETWORK_ERRORS:
            self.close()
            if not reused:
                raise
            # A kept-alive connection the server closed while idle: once more, afresh.
            try:
                response, data = self._send(method, path, body, sent)
            except NETWORK_ERRORS:
                self.close()
                raise
        return response.status, data

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, bytes]:
        conn = self._connection()
        conn.request(method, self.address.base_path + path, body=body, headers=headers)
        response = conn.getresponse()
        return response, response.read()

    def post_json(self, path: str, document: Any) -> tuple[int, Any]:
        """POST a JSON document."""
        body = json.dumps(document).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json"})

    def close(self) -> None:
        """Drop the connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def error_text(status: int, answer: Any) -> str:
    """What the server said about a failed request."""
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        return f"{status}: {answer['error']}"
    return f"HTTP {status}"
