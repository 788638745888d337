"""`trackio.show()` / `trackio show`: start the dashboard server and open a browser."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from trackio.server.app import ServerHandle


_serving: list[ServerHandle] = []
_serving_lock = threading.Lock()


def serving_url() -> str | None:
    """The URL of the newest dashboard this process serves (through `show()`, until it
    stops), or None: run URLs point there."""
    with _serving_lock:
        _serving[:] = [handle for handle in _serving if handle.thread.is_alive()]
        return _serving[-1].url if _serving else None


def _tell_about_migrations() -> None:
    from trackio.storage import list_projects, needs_migration

    waiting = [project for project in list_projects() if needs_migration(project)]
    if waiting:
        print(
            f"* {len(waiting)} project(s) were written by an older trackio or the PyPI trackio "
            f"and must be upgraded before they can be shown: {', '.join(waiting)}; "
            "run `trackio migrate` (it keeps a backup of PyPI trackio files)"
        )


def show(
    project: str | None = None,
    host: str | None = None,
    port: int | None = None,
    open_browser: bool = True,
    block: bool | None = None,
    allowed_hosts: Sequence[str] = (),
    *,
    block_thread: bool | None = None,
    server_port: int | None = None,
    **unused: Any,
) -> ServerHandle | None:
    """Serve the dashboard on `host:port` (127.0.0.1:7860, or the next free port).

    Prints the URL, opens it in a browser unless `open_browser=False`, and serves
    until interrupted unless `block=False`, in which case it returns the server
    handle (`handle.url`, `handle.stop()`). Requests must name this machine in their
    `Host` header (`localhost`, the loopback addresses, `host`) or one of
    `allowed_hosts`, so other web pages cannot read the dashboard through DNS
    rebinding.

    The PyPI trackio's keywords work too: `block_thread` (as `block`), `server_port`
    (as `port`); its display options (`theme`, `color_palette`, `footer`, ...) are
    accepted with a warning that they change nothing. The handle also unpacks as the
    PyPI trackio's `(app, url, share_url, full_url)`.
    """
    from trackio.server.app import DEFAULT_PORT, start_server

    for key in sorted(name for name, value in unused.items() if value is not None):
        warnings.warn(f"trackio.show() ignores {key}=: it has no effect here", stacklevel=2)
    block = block if block is not None else (block_thread if block_thread is not None else True)
    port = port if port is not None else server_port
    from trackio.server.security import WILDCARD_BINDS

    bind = host or "127.0.0.1"
    handle = start_server(bind, DEFAULT_PORT if port is None else port, allowed_hosts)
    with _serving_lock:
        _serving.append(handle)
    url = handle.url + (f"?{urlencode({'project': project})}" if project else "")
    print(f"* trackio dashboard running at {url}")
    if bind in WILDCARD_BINDS:
        print(
            "* warning: the dashboard listens on every network interface, so anyone who can "
            "reach this machine can read your projects"
            + ("" if allowed_hosts else "; --allowed-host NAME limits the names it answers")
        )
    _tell_about_migrations()
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    if not block:
        return handle
    try:
        while handle.thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("* stopping the trackio dashboard")
    finally:
        handle.stop()
    return None
