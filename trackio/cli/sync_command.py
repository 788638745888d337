"""`trackio sync`: send a local project to a team server or a Hugging Face Space, or
deliver what processes left in their spools."""

from __future__ import annotations

import argparse
import os
from typing import Any

from trackio.cli.output import CommandError, error_line


def register(commands: Any) -> None:
    """Add `sync` to the command parser."""
    parser = commands.add_parser(
        "sync",
        help="send a local project to a team server, or deliver spooled values (--pending)",
    )
    parser.add_argument("--project", help="the local project to send")
    parser.add_argument("--server-url", help="the team server (default TRACKIO_SERVER_URL)")
    parser.add_argument(
        "--space-id",
        help="send it to this Hugging Face Space's server instead (user/name, or name for "
        "your own; made when missing)",
    )
    parser.add_argument("--private", action="store_true", help="make a new Space private")
    parser.add_argument(
        "--pending",
        action="store_true",
        help="deliver the values ended processes left in their local spools",
    )
    parser.add_argument(
        "--write-token", help="the server's write token (default TRACKIO_WRITE_TOKEN)"
    )
    parser.set_defaults(handler=_sync)


def _sync(args: argparse.Namespace) -> int:
    from trackio.remote.http import ServerAddress
    from trackio.remote.upload import SyncError, deliver_pending, upload_project

    if args.write_token:
        os.environ["TRACKIO_WRITE_TOKEN"] = args.write_token
    server = args.server_url or os.environ.get("TRACKIO_SERVER_URL")
    if args.pending:
        if args.project:
            raise CommandError("--pending delivers every spool; it takes no --project")
        result, problems = deliver_pending(server)
        print(
            f"delivered {result.delivered} spooled batch(es) from {result.spools} spool(s); "
            f"{result.left} left"
            + (
                f"; {result.set_aside} refused by the server, kept aside"
                if result.set_aside
                else ""
            )
        )
        for problem in problems:
            print(f"trackio: {problem}")
        return 1 if result.left or result.set_aside else 0
    if not args.project:
        raise CommandError("say what to send: --project P (or --pending)")
    if args.space_id:
        return _sync_to_space(args)
    if not server:
        raise CommandError("say where to: --server-url URL (or TRACKIO_SERVER_URL)")
    try:
        address = ServerAddress(server)
    except ValueError as error:
        raise CommandError(str(error)) from None
    try:
        sent = upload_project(args.project, address)
    except SyncError as error:
        raise CommandError(str(error)) from None
    fresh = sent.batches - sent.already_there
    print(
        f"sent project {args.project!r} to {address.url}: {sent.runs} run(s), "
        f"{sent.points} value(s) in {sent.batches} batch(es)"
        + (f" ({sent.already_there} already there)" if sent.already_there else "")
        + ("" if fresh else "; nothing new")
    )
    return 0


def _sync_to_space(args: argparse.Namespace) -> int:
    from trackio.remote.upload import SyncError

    try:
        from trackio.hub.deploy import full_space_id
        from trackio.hub.space_target import hub_api
        from trackio.hub.sync import send_to_space

        space_id = full_space_id(hub_api(), args.space_id)
        print(send_to_space(args.project, space_id, private=args.private or None))
    except (ValueError, RuntimeError, SyncError) as error:
        raise CommandError(str(error)) from None
    except Exception as error:  # the Hub's errors: one line, never a token
        raise CommandError(f"syncing to {args.space_id} failed: {error_line(error)}") from None
    return 0
