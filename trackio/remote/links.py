"""The writer's side of team mode: per server, the runs open here, the run openings not
yet sent, and the spool and sender that carry batches there.

Everything heavy (HTTP, SQLite for the spool, numpy for encoding) loads on first use,
so a process that never logs to a server pays nothing for it.
"""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING

from trackio.storage.records import RunBatch

if TYPE_CHECKING:
    from trackio.remote.http import ServerAddress
    from trackio.remote.sender import Sender
    from trackio.remote.wire import OpenRequest
    from trackio.storage.spool import Spool
    from trackio.writer import RunTarget


class RemoteLinks:
    """Every server this process logs to."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._addresses: dict[str, ServerAddress] = {}
        self._senders: dict[str, Sender] = {}
        self._spool: Spool | None = None
        self._opens: dict[tuple[str, str], list[OpenRequest]] = {}
        self._open_runs: dict[tuple[str, str], set[str]] = {}
        self._refused: dict[str, str] = {}
        self._unreachable_said: set[str] = set()

    def register(self, address: ServerAddress) -> str:
        """Remember how to reach a server (its token included); returns its URL, the
        key runs name it by. Its spool and sender are set up in the background."""
        with self._lock:
            self._addresses[address.url] = address
        threading.Thread(
            target=self._prepare, args=(address.url,), name="trackio-prepare", daemon=True
        ).start()
        return address.url

    def _prepare(self, server: str) -> None:
        # Else the first batch pays for the spool file and the sender thread.
        self._sender(server)

    def said_unreachable(self, server: str) -> None:
        """The user was told `server` cannot be reached; its sender keeps quiet about it."""
        with self._lock:
            self._unreachable_said.add(server)
            sender = self._senders.get(server)
        if sender is not None:
            sender.quiet_about_unreachable()

    def refuse(self, server: str, message: str) -> None:
        """`server` refused this process's token, as `message` told the user: batches
        for it are spooled, not sent."""
        with self._lock:
            self._refused[server] = message
            sender = self._senders.get(server)
        if sender is not None:
            sender.refused(message)

    def announce(self, target: RunTarget, request: OpenRequest) -> None:
        """Send the opening of a run the server has not heard of with its first batch."""
        assert target.server is not None
        with self._lock:
            self._opens.setdefault((target.server, target.project), []).append(request)

    def track(self, target: RunTarget) -> None:
        """Count the run as open here: it gets heartbeats until it finishes."""
        assert target.server is not None
        with self._lock:
            self._open_runs.setdefault((target.server, target.project), set()).add(target.run_id)

    def spool_batch(
        self, server: str, project: str, batches: list[RunBatch], finished: list[str]
    ) -> None:
        """Put one project's batch for `server` in the spool (durable on return) and
        wake its sender."""
        from trackio.remote.wire import encode_batch

        with self._lock:
            opens = self._opens.pop((server, project), [])
        batch_id = uuid.uuid4().hex
        try:
            body = encode_batch(batch_id, project, opens, batches)
            points = sum(len(steps) for batch in batches for steps, _, _ in batch.series.values())
            self._sender(server).spool.add(batch_id, server, project, points, body)
        except BaseException:
            if opens:
                with self._lock:
                    self._opens.setdefault((server, project), [])[:0] = opens
            raise
        if finished:
            with self._lock:
                self._open_runs.get((server, project), set()).difference_update(finished)
        self._sender(server).wake()

    def heartbeat(self) -> None:
        """Spool an empty batch for every run open here, so the server knows they live."""
        with self._lock:
            open_runs = {key: sorted(ids) for key, ids in self._open_runs.items() if ids}
        for (server, project), run_ids in open_runs.items():
            self.spool_batch(server, project, [RunBatch(run_id) for run_id in run_ids], [])

    def wait_delivered(self, server: str, timeout: float) -> tuple[int, int, int]:
        """Wait for the spooled batches of `server` to be delivered; returns the
        (batches, values) left, and the values the server refused (set aside)."""
        sender = self._senders.get(server)
        if sender is None:
            return 0, 0, 0
        sender.wait_delivered(timeout)
        batches, values = sender.spool.pending(server)
        return batches, values, sender.spool.set_aside(server)[1]

    def auth_error(self, server: str) -> str | None:
        """Why `server` refused this process's token, if it did."""
        sender = self._senders.get(server)
        return None if sender is None else sender.auth_error

    def spool_path(self) -> str | None:
        """This process's spool file, once it has one."""
        return None if self._spool is None else str(self._spool.path)

    def close(self) -> None:
        """Stop the senders and close the spool, deleting it if nothing is left in it."""
        with self._lock:
            senders, self._senders = list(self._senders.values()), {}
            spool, self._spool = self._spool, None
        for sender in senders:
            sender.stop()
        if spool is not None:
            spool.close()

    def _sender(self, server: str) -> Sender:
        sender = self._senders.get(server)
        if sender is not None:
            return sender
        from trackio.remote.sender import Sender
        from trackio.storage.spool import Spool

        with self._lock:
            sender = self._senders.get(server)
            if sender is None:
                if self._spool is None:
                    self._spool = Spool.create()
                sender = self._senders[server] = Sender(
                    self._addresses[server], self._spool, refused=self._refused.get(server)
                )
                if server in self._unreachable_said:
                    sender.quiet_about_unreachable()
            return sender
