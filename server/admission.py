"""Admission for SPARQL queries, apart from page serving, with a fair share per client.

A /sparql query holds a web thread for as long as it runs (up to the query
timeout). Without a bound of its own, a few clients sending runaway queries
would hold every thread and pages would wait behind them. So each web worker
admits at most ``running`` queries at once (as many as it has query workers)
and lets at most ``waiting`` more wait, each for at most ``wait_s``; anything
beyond is refused at once with 503 and Retry-After. One client address may
hold at most ``per_client`` of the running and waiting places, so one client
cannot deny the endpoint to everyone else (429). Every other thread of the
worker stays free for pages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class AdmissionRefusedError(Exception):
    """No place for this query now; ``status`` is 429 (this client) or 503 (everyone)."""

    def __init__(self, status: int, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class Admission:
    """Counting places per process; a condition variable hands over freed places in order."""

    def __init__(self, running: int, waiting: int, per_client: int, wait_s: float) -> None:
        self.running = running
        self.waiting = waiting
        # A fair share leaves a place for someone else: with 2 places one client may
        # hold 1, with 4 places 2 (each running or waiting). Tested: one address with
        # 8 parallel runaway queries took both places of each worker at a share of 2.
        self.per_client = min(per_client, max(1, running - 1))
        self.wait_s = wait_s
        self._busy = 0
        self._queued = 0
        self._clients: dict[str, int] = {}
        self._cond = threading.Condition()

    @contextmanager
    def admit(self, client: str) -> Iterator[None]:
        """Hold a running place for ``client`` while the block runs, or refuse."""
        with self._cond:
            held = self._clients.get(client, 0)
            if held >= self.per_client:
                raise AdmissionRefusedError(
                    429,
                    f"this client already has {held} SPARQL queries running or waiting here "
                    f"(at most {self.per_client}); wait for them to finish",
                    1,
                )
            if self._busy >= self.running and self._queued >= self.waiting:
                raise AdmissionRefusedError(
                    503,
                    f"all {self.running} SPARQL places are busy and {self._queued} queries "
                    "are waiting; try again shortly",
                    5,
                )
            self._clients[client] = held + 1
            try:
                if self._busy >= self.running:
                    self._queued += 1
                    try:
                        deadline = time.monotonic() + self.wait_s
                        while self._busy >= self.running:
                            left = deadline - time.monotonic()
                            if left <= 0:
                                raise AdmissionRefusedError(
                                    503,
                                    f"all {self.running} SPARQL places stayed busy for "
                                    f"{self.wait_s:g} s; try again shortly",
                                    5,
                                )
                            self._cond.wait(left)
                    finally:
                        self._queued -= 1
                self._busy += 1
            except BaseException:
                self._release_client(client)
                raise
        try:
            yield
        finally:
            with self._cond:
                self._busy -= 1
                self._release_client(client)
                self._cond.notify()

    def _release_client(self, client: str) -> None:
        left = self._clients[client] - 1
        if left:
            self._clients[client] = left
        else:
            del self._clients[client]
