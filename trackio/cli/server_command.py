"""`trackio server`: the team server, the dashboard plus the API clients log into."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import threading
from typing import Any

from trackio.cli.output import CommandError, error_line, port_number
from trackio.storage.paths import data_dir

LOOPBACK_BINDS = ("127.0.0.1", "localhost", "::1")


def register(commands: Any) -> None:
    """Add `server` to the command parser."""
    parser = commands.add_parser(
        "server",
        help="run a team server: machines log to it with server_url=, everyone watches it",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--dir",
        help="where the projects are kept (default TRACKIO_DIR); with --db, their media files",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="keep the projects in this PostgreSQL database, e.g. "
        "postgresql://user:pass@host:5432/dbname (default TRACKIO_DATABASE_URL); several "
        "servers may share one",
    )
    parser.add_argument(
        "--media",
        metavar="URL",
        help="also keep media files at this fsspec URL, e.g. s3://bucket/trackio (default "
        "TRACKIO_MEDIA_URL): servers on several machines then need no shared --dir",
    )
    parser.add_argument(
        "--snapshot-dir",
        metavar="DIR",
        help="copy the projects (SQLite) into DIR every --snapshot-every seconds and on "
        "stopping, and bring back those --dir lacks at start: data outlives a machine "
        "that keeps nothing",
    )
    parser.add_argument(
        "--snapshot-dataset",
        metavar="REPO_ID",
        help="like --snapshot-dir, kept in this Hugging Face Dataset (made private if "
        "missing; the token from HF_TOKEN or `hf auth login`)",
    )
    parser.add_argument(
        "--snapshot-every",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="seconds between snapshots (default 300)",
    )
    parser.add_argument(
        "--write-token",
        help="the token writes need (default TRACKIO_WRITE_TOKEN, else a new one, printed)",
    )
    parser.add_argument(
        "--read-token",
        help="the token reads need when bound beyond loopback (default TRACKIO_READ_TOKEN, "
        "else a new one, printed)",
    )
    parser.add_argument(
        "--hub-space",
        metavar="SPACE_ID",
        help="also take Hugging Face tokens that may write to this Space as write tokens "
        "(asked of the Hub's whoami, kept 10 minutes); what a Space's server is started with",
    )
    parser.add_argument(
        "--public-read",
        action="store_true",
        help="let anyone who reaches the server read it, without a read token",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests for this host name (repeatable)",
    )
    parser.add_argument("--ssl-certfile", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--ssl-keyfile", help="the certificate's private key (PEM)")
    parser.add_argument(
        "--max-body-mb",
        type=float,
        default=64,
        help="largest request body accepted, in MB, compressed or not (default 64)",
    )
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from trackio.server.access import Access, new_token
    from trackio.server.app import start_server
    from trackio.server.team import Team

    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        raise CommandError("--ssl-certfile and --ssl-keyfile go together")
    if not args.max_body_mb > 0:
        raise CommandError(f"--max-body-mb must be more than 0, got {args.max_body_mb}")
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
        os.environ["TRACKIO_DIR"] = os.path.abspath(args.dir)
    database = args.db or os.environ.get("TRACKIO_DATABASE_URL") or None
    where = str(data_dir())
    if database is not None:
        from trackio.storage import use_database
        from trackio.storage.errors import StoreError
        from trackio.storage.postgres.connection import describe_url

        try:
            use_database(database)
        except StoreError as error:
            raise CommandError(str(error)) from None
        where = f"{describe_url(database)}, media in {data_dir()}"
    media_url = args.media or os.environ.get("TRACKIO_MEDIA_URL") or None
    if media_url is not None:
        from trackio.storage import use_media_url

        try:
            use_media_url(media_url)
        except (ImportError, ValueError) as error:
            raise CommandError(f"cannot keep media at {media_url}: {error}") from None
        where += f", media also at {media_url}"
    write_token = args.write_token or os.environ.get("TRACKIO_WRITE_TOKEN")
    made_write_token = write_token is None
    write_token = write_token or new_token()
    read_token = args.read_token or os.environ.get("TRACKIO_READ_TOKEN")
    beyond_loopback = args.host not in LOOPBACK_BINDS
    made_read_token = False
    if read_token is None and beyond_loopback and not args.public_read:
        read_token, made_read_token = new_token(), True
    if args.public_read:
        read_token = None
    hub_writers = _hub_writers(args.hub_space)
    snapshotter = _snapshots(args, database is not None)
    team = Team(
        Access(write_token, read_token, hub_writers),
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
    )
    try:
        handle = start_server(
            args.host,
            args.port,
            args.allowed_host,
            team,
            ssl_certfile=args.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile,
        )
    except OSError as error:
        raise CommandError(f"cannot serve: {error}") from None
    url = handle.url.rstrip("/")
    if args.host in ("0.0.0.0", "::", ""):
        # A name the server answers to: the first --allowed-host, else (every name is
        # answered then) this machine's.
        shown = "[::]" if args.host == "::" else args.host
        name = args.allowed_host[0] if args.allowed_host else socket.gethostname()
        url = url.replace(f"//{shown}", f"//{name}", 1)
    print(f"* trackio server running at {url}/ (projects in {where})")
    token_part = f" TRACKIO_WRITE_TOKEN={write_token}" if made_write_token else ""
    print(f"* log to it from any machine with:\n  TRACKIO_SERVER_URL={url}{token_part}")
    if made_write_token:
        print("* (a new write token: pass --write-token or TRACKIO_WRITE_TOKEN to keep one)")
    if made_read_token:
        print(f"* reading needs the read token: {read_token} (the dashboard asks for it once)")
    elif read_token is None and beyond_loopback:
        print("* anyone who can reach this server can read its projects (--public-read)")
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        while not stopped.is_set() and handle.thread.is_alive():
            stopped.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        print("* stopping the trackio server")
        handle.stop()
        if snapshotter is not None:
            snapshotter.stop()
    return 0


def _hub_writers(space_id: str | None) -> Any:
    if not space_id:
        return None
    try:
        from trackio.server.hub_writers import HubWriters

        return HubWriters(space_id)
    except ImportError:
        raise CommandError(
            '--hub-space needs huggingface_hub: pip install "trackio[hub]"'
        ) from None
    except ValueError as error:
        raise CommandError(f"--hub-space: {error}") from None


def _snapshots(args: argparse.Namespace, on_database: bool) -> Any:
    """The snapshotter `--snapshot-dir` asks for, started after the newest snapshot was
    brought back (before the server accepts a write); None without it."""
    if not args.snapshot_dir and not args.snapshot_dataset:
        return None
    if args.snapshot_dir and args.snapshot_dataset:
        raise CommandError("--snapshot-dir and --snapshot-dataset: choose one")
    if on_database:
        raise CommandError("snapshots keep SQLite projects; with --db, back up the database")
    if not args.snapshot_every > 0:
        raise CommandError(f"--snapshot-every must be more than 0, got {args.snapshot_every}")
    from pathlib import Path

    from trackio.server.snapshots import DatasetStore, FolderStore, Snapshotter, restore

    store: FolderStore | DatasetStore
    if args.snapshot_dir:
        store = FolderStore(Path(args.snapshot_dir).resolve())
        where = str(store.folder)
    else:
        try:
            store = DatasetStore(args.snapshot_dataset)
        except ImportError as error:
            raise CommandError(str(error)) from None
        where = f"the Dataset {args.snapshot_dataset}"
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        brought_back = restore(store, folder)
    except Exception as error:  # the Hub's errors: one message, and no server without data
        raise CommandError(
            f"cannot bring back the snapshot from {where}: {error_line(error)}"
        ) from None
    if brought_back:
        print(f"* brought back the projects of the snapshot in {where}")
    staging = folder / ".snapshot-staging"
    return Snapshotter(folder, store, staging, args.snapshot_every).start()
