"""What keeps a dashboard on this machine from being read by web pages elsewhere:
only known `Host` names are answered (DNS rebinding), and every response tells the
browser to run no script but the app's own."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_BINDS = ("0.0.0.0", "::", "")
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        b"style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors *",
    ),
)


def allowed_hosts(bound_host: str, extra: Sequence[str] = ()) -> list[str]:
    """The `Host` names a server bound to `bound_host` answers: the loopback names, the
    bound address and `extra` (`--allowed-host`). Bound to every interface without
    `extra`, any name (`["*"]`): the dashboard is open to the network anyway."""
    names = [name.lower() for name in extra]
    if bound_host in WILDCARD_BINDS:
        return names + list(LOOPBACK_HOSTS) if names else ["*"]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return [*LOOPBACK_HOSTS, shown.lower(), *names]


class SecurityHeaders:
    """ASGI middleware adding `SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
