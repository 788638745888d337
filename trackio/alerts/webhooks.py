"""Alerts POSTed to webhooks by one background thread: Slack's and Discord's message
shapes where the URL is theirs, a plain JSON document elsewhere. A webhook that fails
is retried a few times and reported once; nothing reaches the training loop."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from typing import Any
from urllib.parse import urlsplit

ATTEMPTS = 3
BACKOFF_SECONDS = 0.5


def timeout_seconds() -> float:
    """How long one POST may take (`TRACKIO_WEBHOOK_TIMEOUT`, default 5 s)."""
    try:
        return max(float(os.environ.get("TRACKIO_WEBHOOK_TIMEOUT", "5")), 0.1)
    except ValueError:
        return 5.0


def webhook_kind(url: str) -> str:
    """`slack`, `discord` or `json`, from the webhook URL's host or path."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "hooks.slack.com" or parts.path.startswith("/services/"):
        return "slack"
    if host in ("discord.com", "discordapp.com") or "/api/webhooks/" in parts.path:
        return "discord"
    return "json"


def webhook_body(url: str, alert: dict[str, Any]) -> dict[str, Any]:
    """The document POSTed to `url` for `alert` (title, text, level, project, run,
    run_id, step, time)."""
    where = f"{alert['project']} / {alert['run']}" + (
        f" (step {alert['step']})" if alert.get("step") is not None else ""
    )
    kind = webhook_kind(url)
    if kind == "slack":
        text = f"*[{alert['level']}] {alert['title']}*\n{alert.get('text') or ''}\n_{where}_"
        return {"text": text.replace("\n\n", "\n")}
    if kind == "discord":
        text = f"**[{alert['level']}] {alert['title']}**\n{alert.get('text') or ''}\n*{where}*"
        return {"content": text.replace("\n\n", "\n")}
    return dict(alert)


class WebhookSender:
    """Delivers queued alerts in order, in a daemon thread."""

    def __init__(self) -> None:
        self._queue: deque[tuple[str, dict[str, Any]]] = deque()
        self._wake = threading.Condition()
        self._busy = 0
        self._reported: set[str] = set()
        self._thread: threading.Thread | None = None

    def send(self, url: str, alert: dict[str, Any]) -> None:
        """Queue `alert` for `url`; returns at once."""
        with self._wake:
            self._queue.append((url, alert))
            self._busy += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run_forever, name="trackio-webhooks", daemon=True
                )
                self._thread.start()
            self._wake.notify_all()

    def flush(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for every queued alert to be delivered or given
        up; whether all were."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(left)
        return True

    def _run_forever(self) -> None:
        while True:
            with self._wake:
                while not self._queue:
                    self._wake.wait()
                url, alert = self._queue.popleft()
            try:
                self._deliver(url, alert)
            finally:
                with self._wake:
                    self._busy -= 1
                    self._wake.notify_all()

    def _deliver(self, url: str, alert: dict[str, Any]) -> None:
        body = json.dumps(webhook_body(url, alert)).encode()
        problem = ""
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            request = urllib.request.Request(
                url, data=body, headers={"Content-Type": "application/json"}, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout_seconds()) as answer:
                    answer.read()
                return
            except urllib.error.HTTPError as error:
                problem = f"HTTP {error.code}"
                if 400 <= error.code < 500 and error.code != 429:
                    break
            except (OSError, ValueError) as error:
                problem = str(getattr(error, "reason", error)) or type(error).__name__
        self._report(url, problem)

    def _report(self, url: str, problem: str) -> None:
        if url in self._reported:
            return
        self._reported.add(url)
        # Only the host is named: a webhook URL's path is its secret (Slack, Discord).
        host = urlsplit(url).netloc or "?"
        print(
            f"trackio: an alert could not be sent to the webhook at {host} ({problem}); it is "
            "stored with the run, and later alerts are still tried (said once)",
            file=sys.stderr,
            flush=True,
        )


_sender = WebhookSender()


def sender() -> WebhookSender:
    """The process's webhook sender."""
    return _sender
