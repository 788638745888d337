"""The `trackio` command."""

from __future__ import annotations

import argparse
import json
import sys

import trackio


def _list(args: argparse.Namespace) -> int:
    api = trackio.Api()
    if args.what == "projects":
        items = api.projects()
    else:
        if not args.project:
            print("trackio list runs: --project is required", file=sys.stderr)
            return 2
        try:
            items = [run.name for run in api.runs(args.project)]
        except ValueError as error:
            print(f"trackio: {error}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(items))
    else:
        for item in items:
            print(item)
    return 0


def _show(args: argparse.Namespace) -> int:
    trackio.show(
        project=args.project, host=args.host, port=args.port, open_browser=not args.no_browser
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `trackio` command."""
    parser = argparse.ArgumentParser(prog="trackio", description="Local-first experiment tracker.")
    parser.add_argument("--version", action="version", version=f"trackio {trackio.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    showing = commands.add_parser("show", help="serve the dashboard and open it in a browser")
    showing.add_argument("--project", help="the project to open")
    showing.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    showing.add_argument(
        "--port", type=int, default=7860, help="port (default 7860; the next free one if taken)"
    )
    showing.add_argument("--no-browser", action="store_true", help="do not open a browser")
    showing.set_defaults(handler=_show)
    listing = commands.add_parser("list", help="list projects or the runs of a project")
    listing.add_argument("what", choices=["projects", "runs"])
    listing.add_argument("--project", help="the project whose runs to list")
    listing.add_argument("--json", action="store_true", help="print JSON only")
    listing.set_defaults(handler=_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `trackio` console script."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
