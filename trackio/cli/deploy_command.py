"""`trackio deploy`: a Hugging Face Space running this trackio."""

from __future__ import annotations

import argparse
from typing import Any

from trackio.cli.output import CommandError, error_line


def register(commands: Any) -> None:
    """Add `deploy` to the command parser."""
    parser = commands.add_parser(
        "deploy", help="create or update a Hugging Face Space running this trackio's server"
    )
    parser.add_argument("--space-id", required=True, help="user/name, or name for your own")
    parser.add_argument("--private", action="store_true", help="make the Space private")
    parser.add_argument(
        "--dataset-id", help="the Dataset keeping its projects (default <space-id>-dataset)"
    )
    parser.add_argument(
        "--bucket-id",
        help="keep its projects in this storage bucket instead, mounted into the Space at /data",
    )
    parser.set_defaults(handler=_deploy)


def _deploy(args: argparse.Namespace) -> int:
    from trackio.hub.deploy import deploy_space, full_space_id
    from trackio.hub.space_target import hub_api

    try:
        full_id = full_space_id(hub_api(), args.space_id)
        url = deploy_space(
            full_id,
            private=args.private or None,
            dataset_id=args.dataset_id,
            bucket_id=args.bucket_id,
        )
    except Exception as error:  # the Hub's errors: one line, never a token
        raise CommandError(f"deploying {args.space_id} failed: {error_line(error)}") from None
    print(f"* the Space is at {url} (it builds for a few minutes)")
    print(
        "* its write token is kept on this machine; log to it with "
        f'trackio.init(project=..., space_id="{full_id}")'
    )
    return 0
