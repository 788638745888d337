"""What this machine remembers about the servers it logs to: the write token a deploy
made for a Hugging Face Space, and which servers are Spaces (their requests carry the
user's Hugging Face token). Kept under `TRACKIO_DIR/.servers/`, readable only by the
user; nothing here is ever uploaded."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from trackio.storage.paths import data_dir


@dataclass(frozen=True)
class KnownServer:
    """A server this machine has logged to or deployed."""

    url: str
    write_token: str | None = None
    space_id: str | None = None


def _entry_path(url: str) -> Path:
    parts = urlsplit(url)
    key = f"{parts.scheme}-{parts.netloc}{parts.path.rstrip('/')}"
    return data_dir() / ".servers" / (re.sub(r"[^A-Za-z0-9._-]+", "_", key) + ".json")


def known_server(url: str) -> KnownServer | None:
    """What is remembered about the server at `url` (no token in it), if anything."""
    return _read(_entry_path(url))


def known_space(space_id: str) -> KnownServer | None:
    """What is remembered about the server of the Space `space_id`, if anything."""
    for path in sorted((data_dir() / ".servers").glob("*.json")):
        known = _read(path)
        if known is not None and known.space_id == space_id:
            return known
    return None


def _read(path: Path) -> KnownServer | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    url, token, space = (document.get(key) for key in ("url", "write_token", "space_id"))
    if not isinstance(url, str):
        return None
    return KnownServer(
        url,
        token if isinstance(token, str) and token else None,
        space if isinstance(space, str) and space else None,
    )


def remember_server(
    url: str, *, write_token: str | None = None, space_id: str | None = None
) -> None:
    """Remember `url`'s write token and Space id (what is already remembered stays
    unless replaced), in a file only this user can read."""
    before = known_server(url)
    document = {
        "url": url,
        "write_token": write_token or (before.write_token if before else None),
        "space_id": space_id or (before.space_id if before else None),
    }
    path = _entry_path(url)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    os.replace(partial, path)


def hub_token() -> str | None:
    """The user's Hugging Face token (`HF_TOKEN`, else what `hf auth login` saved)."""
    try:
        from huggingface_hub import get_token
    except ImportError:
        return os.environ.get("HF_TOKEN") or None
    return get_token()
