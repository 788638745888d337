"""`trackio show`: serve the dashboard."""

from __future__ import annotations

import argparse
from typing import Any

import trackio
from trackio.cli.output import CommandError, port_number


def register(commands: Any) -> None:
    """Add `show` to the command parser."""
    parser = commands.add_parser("show", help="serve the dashboard and open it in a browser")
    parser.add_argument("--project", help="the project to open")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=port_number,
        default=7860,
        help="port (default 7860; the next free one if taken)",
    )
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests for this host name (repeatable); localhost and the "
        "bound address always work",
    )
    parser.set_defaults(handler=_show)


def _show(args: argparse.Namespace) -> int:
    try:
        trackio.show(
            project=args.project,
            host=args.host,
            port=args.port,
            open_browser=not args.no_browser,
            allowed_hosts=args.allowed_host,
        )
    except OSError as error:
        raise CommandError(f"cannot serve the dashboard: {error}") from None
    return 0
