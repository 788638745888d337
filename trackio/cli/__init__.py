"""The `trackio` command: `show`, `server`, `list`, `get`, `export`, `import`, `delete`,
`rename`, `move`, `migrate`, `sync`, `deploy`, `freeze`."""

from __future__ import annotations

import argparse
import os
import sys

import trackio
from trackio.cli import (
    change_commands,
    deploy_command,
    freeze_command,
    migrate_command,
    read_commands,
    server_command,
    show_command,
    sync_command,
    transfer_commands,
)
from trackio.cli.output import CommandError
from trackio.storage.errors import NotFoundError, StoreError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `trackio` command."""
    parser = argparse.ArgumentParser(
        prog="trackio", description="trackio: a local-first experiment tracker."
    )
    parser.add_argument("--version", action="version", version=f"trackio {trackio.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (
        show_command,
        server_command,
        read_commands,
        transfer_commands,
        change_commands,
        migrate_command,
        sync_command,
        deploy_command,
        freeze_command,
    ):
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `trackio` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except (CommandError, NotFoundError, StoreError) as error:
        print(f"trackio: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (`| head`) left: stop quietly, and keep Python from complaining
        # again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
