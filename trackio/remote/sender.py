"""The thread that delivers spooled batches to a team server, in order, until each is
acknowledged.

The server away or failing: retried with exponential backoff and jitter. A batch it
refuses as malformed (4xx) stays in the spool, set aside, with one warning. Refused
credentials (401/403): one clear message, and no more attempts from this process;
the spool keeps everything for `trackio sync --pending` with the right token.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable

from trackio.remote.http import NETWORK_ERRORS, Connection, ServerAddress, error_text
from trackio.remote.opening import say_token_refused_once
from trackio.remote.pypi_protocol import BULK_LOG_PATH, RunMemory, bulk_log_body, is_pypi_server
from trackio.remote.wire import WireFormatError
from trackio.storage.spool import Spool, orphaned_spools

BACKOFF_START_SECONDS = 0.25
BACKOFF_MAX_SECONDS = 15.0
ORPHAN_SCAN_SECONDS = 10.0
INGEST_PATH = "/api/ingest"


class NotAnswering(ConnectionError):
    """The server answered, but not as a trackio server takes a batch (a proxy's page,
    a 404, a 5xx): retried like an outage."""


class AuthRefused(RuntimeError):
    """The server refused the write token."""


class Sender:
    """Delivers one process's spool (and spools left by ended processes) to one server."""

    def __init__(self, address: ServerAddress, spool: Spool, refused: str | None = None) -> None:
        self.address = address
        self.spool = spool
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._connection = Connection(address)
        self._delivery = Delivery(address.url, self._connection, self._warn)
        self._stopped = False
        self._auth_error: str | None = refused
        self._warned: set[str] = set()
        self._next_orphan_scan = 0.0
        self._thread = threading.Thread(
            target=self._run, name=f"trackio-sender-{address.host}", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """A batch was spooled."""
        self._wake.set()

    def wait_delivered(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for this process's spool to be delivered;
        True if it was."""
        deadline = time.monotonic() + timeout
        self._wake.set()
        with self._idle:
            while self.spool.pending(self.address.url)[0]:
                left = deadline - time.monotonic()
                if left <= 0 or self._auth_error is not None:
                    return False
                self._idle.wait(min(left, 0.2))
        return True

    @property
    def auth_error(self) -> str | None:
        """Why the server refused this process's token, if it did."""
        return self._auth_error

    def quiet_about_unreachable(self) -> None:
        """The user already knows the server cannot be reached."""
        self._warned.add("unreachable")

    def refused(self, message: str) -> None:
        """The server refused the token (the user was told): stop sending."""
        self._auth_error = message
        self._wake.set()

    def _run(self) -> None:
        delay = BACKOFF_START_SECONDS
        while not self._stopped and self._auth_error is None:
            try:
                sent = self._deliver_orphans() or self._deliver(self.spool)
            except AuthRefused as refused:
                self._auth_error = str(refused)
                say_token_refused_once(
                    self.address.url,
                    f"trackio: the server {self.address.url} refused the write token ({refused}); "
                    "values stay in the local spool: set TRACKIO_WRITE_TOKEN and run "
                    "`trackio sync --pending`",
                )
                with self._idle:
                    self._idle.notify_all()
                return
            except NETWORK_ERRORS as error:
                problem = (
                    "does not take the batch"
                    if isinstance(error, NotAnswering)
                    else "cannot be reached"
                )
                self._warn(
                    f"trackio: {self.address.url} {problem} ({error}); values are kept in "
                    "the local spool and sent when it answers",
                    topic="unreachable",
                )
                delay = self._back_off(delay)
                continue
            except Exception as error:  # noqa: BLE001 - the sender must keep going
                self._warn(
                    f"trackio: sending to {self.address.url} failed ({error!r}); values are kept "
                    "in the local spool and it is tried again",
                    topic="failed",
                )
                delay = self._back_off(delay)
                continue
            if delay != BACKOFF_START_SECONDS:
                # It answers again: a later outage is worth saying.
                self._warned.discard("unreachable")
                self._warned.discard("failed")
            delay = BACKOFF_START_SECONDS
            with self._idle:
                self._idle.notify_all()
            if not sent:
                self._wake.wait(1.0)
                self._wake.clear()

    def _back_off(self, delay: float) -> float:
        """Wait about `delay` s (with jitter, cut short by `wake`); the next delay."""
        self._wake.wait(delay * (0.5 + random.random()))
        self._wake.clear()
        return min(delay * 2, BACKOFF_MAX_SECONDS)

    def _deliver_orphans(self) -> bool:
        """Deliver spools of ended processes first (their values are older); looked for
        now and then, not before every batch."""
        if time.monotonic() < self._next_orphan_scan:
            return False
        self._next_orphan_scan = time.monotonic() + ORPHAN_SCAN_SECONDS
        for orphan in orphaned_spools(self.spool.path.parent.parent):
            if orphan.path == self.spool.path:
                orphan.close(remove_if_empty=False)
                continue
            try:
                while self._deliver(orphan):
                    pass
            finally:
                orphan.close()
        return False

    def _deliver(self, spool: Spool) -> bool:
        """Send the oldest batch of `spool`; False when there is none."""
        return self._delivery.send_oldest(spool)

    def _warn(self, message: str, topic: str | None = None) -> None:
        # Printed, not warned: it happens in a background thread, where a warning's
        # "file:line" points into trackio rather than at anything the user wrote.
        key = topic or message
        if key not in self._warned:
            self._warned.add(key)
            print(message, file=sys.stderr, flush=True)

    def stop(self) -> None:
        """Stop after the current attempt (waiting a moment for it)."""
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=1)


BATCH_CONTENT_TYPE = "application/vnd.trackio.batch"


def _acknowledged(answer: object, pypi: bool | None) -> bool:
    """Whether a 200 answer is a trackio server's acknowledgement of the batch."""
    if not isinstance(answer, dict):
        return False
    if pypi:
        return answer.get("error") is None
    return "duplicate" in answer and "stored" in answer


class Delivery:
    """Sends one server the batches of spools, in its protocol: ours, or the PyPI
    trackio's v1 (`pypi_protocol`), found out from its `/version` on first use."""

    def __init__(self, server_url: str, connection: Connection, warn: Callable[[str], None]):
        self.server_url = server_url
        self.connection = connection
        self.warn = warn
        self._pypi: bool | None = None
        self._memory = RunMemory()

    def _speaks_v1(self) -> bool:
        if self._pypi is None:
            status, answer = self.connection.request("GET", "/version")
            if status >= 500:
                raise ConnectionError(f"the server answered {error_text(status, answer)}")
            self._pypi = is_pypi_server(answer)
        return self._pypi

    def send_oldest(self, spool: Spool) -> bool:
        """Send the oldest batch `spool` holds for this server and forget it once the
        server has it; False when there is none. A batch the server refuses as malformed
        is set aside (`warn` says so); refused credentials raise `AuthRefused`, an
        unreachable or failing server one of `NETWORK_ERRORS`."""
        oldest = spool.oldest(self.server_url)
        if oldest is None:
            return False
        seq, _, project, body = oldest
        if self._speaks_v1():
            try:
                request, skipped, opened = bulk_log_body(body, self._memory)
            except WireFormatError as error:
                spool.refuse(seq, f"cannot be sent to a PyPI trackio server: {error}")
                self.warn(
                    f"trackio: a batch of project {project!r} cannot be sent to the PyPI trackio "
                    f"server {self.server_url} ({error}); it is kept, set aside, in {spool.path}"
                )
                return True
            if skipped:
                self.warn(
                    f"trackio: {self.server_url} is a PyPI trackio server; media values are "
                    "not sent to it (metrics and configs are)"
                )
            if request is None:
                spool.remove(seq)
                self._memory.sent(opened)
                return True
            path, headers, sent = BULK_LOG_PATH, {"Content-Type": "application/json"}, request
        else:
            opened = []
            path = INGEST_PATH
            headers = {"Content-Type": BATCH_CONTENT_TYPE, "Content-Encoding": "gzip"}
            sent = body
        status, answer = self.connection.request("POST", path, sent, headers)
        failed = isinstance(answer, dict) and answer.get("error") is not None
        if status == 200 and _acknowledged(answer, self._pypi):
            spool.remove(seq)
            self._memory.sent(opened)
            missing = answer.get("missing_runs") if isinstance(answer, dict) else None
            if missing:
                self.warn(
                    f"trackio: the server {self.server_url} has no run {', '.join(missing)} in "
                    f"project {project!r} (deleted there?); values logged to it were not stored"
                )
        elif status == 200:
            raise NotAnswering(f"the answer is not trackio's: {error_text(status, answer)}")
        elif status in (401, 403) or (failed and "write_token" in str(answer.get("error"))):
            raise AuthRefused(error_text(status, answer))
        elif not isinstance(answer, dict):
            # Not an answer of trackio's (a proxy, a Host refused): a setting to fix, retried.
            raise NotAnswering(f"it answered {error_text(status, answer)}")
        elif 400 <= status < 500 and status not in (404, 408, 429):
            reason = error_text(status, answer)
            spool.refuse(seq, reason)
            self.warn(
                f"trackio: the server {self.server_url} refused a batch of project "
                f"{project!r} ({reason}); it is kept, set aside, in {spool.path}"
            )
        else:
            raise NotAnswering(f"it answered {error_text(status, answer)}")
        return True
