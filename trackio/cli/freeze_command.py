"""`trackio freeze`: a static, read-only copy of a project's dashboard."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from trackio.cli.output import CommandError


def register(commands: Any) -> None:
    """Add `freeze` to the command parser."""
    parser = commands.add_parser(
        "freeze",
        help="write a static, read-only dashboard of a project that any web server can host",
    )
    parser.add_argument("--project", required=True, help="the project to freeze")
    parser.add_argument(
        "--output",
        type=Path,
        required=True,
        metavar="DIR",
        help="a new or empty folder, or an earlier freeze to replace",
    )
    parser.set_defaults(handler=_freeze)


def _freeze(args: argparse.Namespace) -> int:
    from trackio.static_dashboard import freeze_project

    try:
        frozen = freeze_project(args.project, args.output)
    except (FileExistsError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot write {args.output}: {error}") from None
    print(
        f"froze project {frozen.project!r} into {frozen.output}: {frozen.runs} runs, "
        f"{frozen.metrics} metrics, {frozen.media_files} media files, "
        f"{frozen.size_bytes / 1e6:.1f} MB"
    )
    if frozen.missing_media_files:
        print(
            f"trackio: {frozen.missing_media_files} logged media files are missing from the "
            "project's media folder; the page says so where they would be",
            file=sys.stderr,
        )
    print(
        "serve it with any static web server, e.g. "
        f"`python -m http.server --bind 127.0.0.1 -d {frozen.output}`"
    )
    return 0
