"""Writing to a Space's server with a Hugging Face token: a teammate who has no copy
of the write token logs with their own token, if it may write to the Space. The Hub's
`whoami` says whose a token is; answers are kept a while, so a run's requests do not
each ask the Hub."""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from typing import Any

WRITE_ROLES_IN_ORG = {"write", "admin"}
ALLOWED_SECONDS = 600.0
REFUSED_SECONDS = 60.0


def may_write(whoami: dict[str, Any], space_id: str) -> bool:
    """Whether the token `whoami` describes may write to the Space `space_id`: the
    token can write (a write token, or a fine-grained one with `repo.write` on the
    Space or its owner), and its user owns the Space or writes in its organisation."""
    namespace = space_id.split("/", 1)[0]
    token = (whoami.get("auth") or {}).get("accessToken") or {}
    role = token.get("role")
    if role == "fineGrained":
        scoped = (token.get("fineGrained") or {}).get("scoped") or []
        if not any(
            (entry.get("entity") or {}).get("name") in (space_id, namespace)
            and "repo.write" in (entry.get("permissions") or [])
            for entry in scoped
        ):
            return False
    elif role != "write":
        return False
    if whoami.get("name") == namespace:
        return True
    return any(
        org.get("name") == namespace and org.get("roleInOrg") in WRITE_ROLES_IN_ORG
        for org in whoami.get("orgs") or []
    )


class HubWriters:
    """Decides whether a Hugging Face token may write to `space_id`, asking the Hub
    (through `huggingface_hub`, at `HF_ENDPOINT`) once per token per ten minutes."""

    def __init__(self, space_id: str) -> None:
        if space_id.count("/") != 1:
            raise ValueError(f"a Space id is user/name, got {space_id!r}")
        import huggingface_hub

        self.space_id = space_id
        self._api = huggingface_hub.HfApi()
        self._answers: dict[str, tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def allows(self, token: str) -> bool:
        """Whether `token` may write (False when the Hub cannot say)."""
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            known = self._answers.get(key)
        if known is not None and known[1] > now:
            return known[0]
        try:
            allowed = may_write(self._api.whoami(token=token), self.space_id)
        except Exception as error:  # noqa: BLE001 - a bad token or no Hub: refused
            allowed = False
            if getattr(getattr(error, "response", None), "status_code", None) != 401:
                print(
                    f"trackio: cannot ask the Hub whose token a request carries "
                    f"({type(error).__name__}); refused for now",
                    file=sys.stderr,
                    flush=True,
                )
        keep = ALLOWED_SECONDS if allowed else REFUSED_SECONDS
        with self._lock:
            self._answers[key] = (allowed, now + keep)
        return allowed
