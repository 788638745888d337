"""`trackio.show()` / `trackio show`: start the dashboard server and open a browser."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from trackio.server.app import ServerHandle


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
    block: bool = True,
) -> ServerHandle | None:
    """Serve the dashboard on `host:port` (127.0.0.1:7860, or the next free port).

    Prints the URL, opens it in a browser unless `open_browser=False`, and serves
    until interrupted unless `block=False`, in which case it returns the server
    handle (`handle.url`, `handle.stop()`).
    """
    from trackio.server.app import DEFAULT_PORT, start_server

    handle = start_server(host or "127.0.0.1", DEFAULT_PORT if port is None else port)
    url = handle.url + (f"?{urlencode({'project': project})}" if project else "")
    print(f"* trackio dashboard running at {url}")
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
