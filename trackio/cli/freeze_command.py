"""`trackio freeze`: a static, read-only copy of a project's dashboard."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from trackio.cli.output import CommandError, error_line


def register(commands: Any) -> None:
    """Add `freeze` to the command parser."""
    parser = commands.add_parser(
        "freeze",
        help="write a static, read-only dashboard of a project that any web server can host",
    )
    parser.add_argument("--project", required=True, help="the project to freeze")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--output",
        type=Path,
        metavar="DIR",
        help="a new or empty folder, or an earlier freeze to replace",
    )
    where.add_argument(
        "--space-id",
        help="publish it as this static Hugging Face Space instead (user/name, or name for "
        "your own; what it held is replaced)",
    )
    parser.add_argument(
        "--from-space",
        metavar="SPACE_ID",
        help="with --space-id: freeze the project as this live trackio Space stores it, "
        "not the local one",
    )
    parser.add_argument("--private", action="store_true", help="make a new Space private")
    parser.set_defaults(handler=_freeze)


def _freeze(args: argparse.Namespace) -> int:
    from trackio.static_dashboard import freeze_project

    if args.space_id:
        return _publish(args)
    if args.from_space or args.private:
        raise CommandError("--from-space and --private go with --space-id")

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


def _publish(args: argparse.Namespace) -> int:
    try:
        from trackio.hub.static_space import freeze_space, publish_static

        if args.from_space:
            space_id = freeze_space(
                args.from_space, args.project, args.space_id, private=args.private or None
            )
        else:
            space_id = publish_static(args.project, args.space_id, private=args.private or None)
    except (ValueError, RuntimeError, FileExistsError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None
    except Exception as error:  # the Hub's errors: one line, never a token
        raise CommandError(f"publishing to {args.space_id} failed: {error_line(error)}") from None
    print(f"published the snapshot of {args.project!r} as the static Space {space_id}")
    return 0
