"""Admission for SPARQL queries, apart from page serving: fair by queueing, not by refusal.

A /sparql query holds a web thread for as long as it runs (up to the query
timeout). Without a bound of its own, a few clients sending runaway queries
would hold every thread and pages would wait behind them. So each web worker
runs at most ``running`` queries at once (as many as it has query workers) and
lets at most ``waiting`` more wait, each for at most ``wait_s``. Every other
thread of the worker stays free for pages.

Fairness, per web worker:

- **Places nobody else wants are anyone's.** A query starts at once when a place
  is free and nobody waits, whoever already runs: on an idle server one client's
  four parallel queries all run (two at once with two query workers, the others
  queued behind them), and a burst such as Comunica's bind join is answered.
- **Under contention, the client that has used least goes first.** A freed
  place goes to the waiting client that runs the fewest queries, then to the one
  whose queries were stopped (time or memory limit) the fewest times lately, then
  to the one that has used the least query time lately (seconds of running
  places), then to
  the one that has asked least lately (requests, refused ones included), then to
  the one served longest ago; the tallies halve every :data:`HALF_LIFE_S`. Each
  client's own queries go in the order they came. Clients that use the same take
  turns (round-robin); a client with cheap queries goes before one whose queries
  run to the timeout, and a newcomer before flooders that were never served yet
  (they asked again and again). Eight addresses flooding the endpoint with
  runaway queries do not deny a ninth: its queries are next whenever a place
  frees.
- **Each client's queue is bounded** (``per_client`` waiting): beyond it, 429
  with Retry-After. When the queue of the whole worker is full, a newcomer takes
  the newest place of the client holding the most (running and waiting), which
  gets 429, if that client holds at least two more than the newcomer; else 503.

A client is an address (:func:`client_of`): IPv4 as is, IPv6 by its /64 (one
subscriber's prefix; addresses within it cost an attacker nothing), and behind
a reverse proxy the address its configured header names.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from server.sparql import QueryMemoryError, QueryTimeoutError


class AdmissionRefusedError(Exception):
    """No place for this query now; ``status`` is 429 (this client) or 503 (everyone)."""

    def __init__(self, status: int, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def client_of(environ: Mapping[str, Any], header: str | None = None) -> str:
    """Who sent a request, for fair shares: the connection's address, or the last
    entry of ``header`` (the one the proxy in front appended) when configured.

    IPv6 addresses are grouped by their /64 (``2001:db8:1:2::/64``), IPv4-mapped
    ones are read as IPv4. A header value that is not an address is ignored.
    """
    address = str(environ.get("REMOTE_ADDR") or "-")
    if header:
        value = environ.get("HTTP_" + header.upper().replace("-", "_"))
        if value:
            named = str(value).rsplit(",", 1)[-1].strip()
            if _parse(named) is not None:
                address = named
    ip = _parse(address)
    if ip is None:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


#: Clients whose use and last place are remembered for the order (a few hundred KB
#: at most); one forgotten counts as new, i.e. first in line.
REMEMBERED = 4096

#: Seconds after which a client's past query time and requests count half.
HALF_LIFE_S = 60.0


class _Tally:
    """A decaying amount per client (halved every HALF_LIFE_S), for the last
    REMEMBERED clients (least recently changed forgotten first)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[float, float]] = {}

    def get(self, client: str, now: float) -> float:
        value, when = self._values.get(client, (0.0, now))
        return float(value * 0.5 ** ((now - when) / HALF_LIFE_S))

    def add(self, client: str, amount: float, now: float) -> None:
        value = self.get(client, now) + amount
        self._values.pop(client, None)
        self._values[client] = (value, now)  # to the end: oldest first
        if len(self._values) > REMEMBERED:
            del self._values[next(iter(self._values))]

    def __len__(self) -> int:
        return len(self._values)


class _Waiter:
    """One queued query: set ``granted`` (a place is now held for it) or ``refused``."""

    __slots__ = ("event", "granted", "refused")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.granted = False
        self.refused: AdmissionRefusedError | None = None


class Admission:
    """Places of one web worker: ``running`` at once, ``waiting`` queued in all,
    ``per_client`` queued per client; see the module's text for the order."""

    def __init__(
        self,
        running: int,
        waiting: int,
        per_client: int,
        wait_s: float,
        client_header: str | None = None,
    ) -> None:
        self.running = running
        self.waiting = waiting
        self.per_client = per_client
        self.wait_s = wait_s
        self.client_header = client_header
        self._lock = threading.Lock()
        self._busy = 0
        self._queued = 0
        #: Running queries per client (clients with none are not kept).
        self._runs: dict[str, int] = {}
        #: Waiting queries per client, oldest first.
        self._queues: dict[str, deque[_Waiter]] = {}
        #: When each client last got a place (a count of places given), oldest
        #: first: the round-robin order among equals. Kept after a client's queries
        #: end (a flooder that asks again at once is still the one served last),
        #: for the last :data:`REMEMBERED` clients.
        self._served: dict[str, int] = {}
        self._ticks = 0
        #: Seconds of running places each client used, and requests it made, lately.
        self._used = _Tally()
        self._asked = _Tally()
        #: Queries of each client stopped at the time or memory limit lately: a
        #: runaway query holds its place to the limit and, in embedded mode, costs
        #: the next query the wait for its worker's replacement.
        self._stopped = _Tally()

    def client(self, environ: Mapping[str, Any]) -> str:
        """The client a request counts for (:func:`client_of` with the configured header)."""
        return client_of(environ, self.client_header)

    @contextmanager
    def admit(self, client: str) -> Iterator[None]:
        """Hold a running place for ``client`` while the block runs, waiting for one
        in turn, or raise :class:`AdmissionRefusedError`."""
        waiter = self._enter(client)
        if waiter is not None:
            waiter.event.wait(self.wait_s)
            self._settle(client, waiter)
        started = time.monotonic()
        try:
            yield
        except (QueryTimeoutError, QueryMemoryError):
            with self._lock:
                self._stopped.add(client, 1.0, time.monotonic())
            raise
        finally:
            with self._lock:
                now = time.monotonic()
                self._used.add(client, now - started, now)
                self._busy -= 1
                left = self._runs[client] - 1
                if left:
                    self._runs[client] = left
                else:
                    del self._runs[client]
                self._dispatch()

    def _enter(self, client: str) -> _Waiter | None:
        """Start at once (None) or queue (the waiter), else refuse."""
        with self._lock:
            self._asked.add(client, 1.0, time.monotonic())
            if self._busy < self.running and not self._queued:
                self._start(client)
                return None
            queue = self._queues.get(client)
            mine = len(queue) if queue is not None else 0
            if mine >= self.per_client:
                raise AdmissionRefusedError(
                    429,
                    f"this client already has {mine} SPARQL queries waiting here (at most "
                    f"{self.per_client}) besides those running; wait for them to finish",
                    2,
                )
            if self._queued >= self.waiting:
                self._displace(client, mine)
            waiter = _Waiter()
            if queue is None:
                queue = self._queues[client] = deque()
            queue.append(waiter)
            self._queued += 1
            return waiter

    def _displace(self, client: str, mine: int) -> None:
        """The whole queue is full: take the newest place of the client that holds
        the most, if it holds at least two more than ``client``; else 503."""
        load = mine + self._runs.get(client, 0)

        def held(other: str) -> int:
            return len(self._queues[other]) + self._runs.get(other, 0)

        busiest = max((c for c in self._queues if c != client), key=held, default=None)
        if busiest is None or held(busiest) < load + 2:
            raise AdmissionRefusedError(
                503,
                f"all {self.running} SPARQL places are busy and {self._queued} queries are "
                "waiting; try again shortly",
                5,
            )
        victims = self._queues[busiest]
        victim = victims.pop()
        if not victims:
            self._forget_queue(busiest)
        self._queued -= 1
        victim.refused = AdmissionRefusedError(
            429,
            "this client's queries fill the SPARQL queue while others wait; this one gave "
            "its place to another client's",
            2,
        )
        victim.event.set()

    def _settle(self, client: str, waiter: _Waiter) -> None:
        """After the wait: proceed if a place was handed over, else leave the queue."""
        with self._lock:
            if waiter.granted:
                return
            if waiter.refused is not None:
                raise waiter.refused
            queue = self._queues[client]
            queue.remove(waiter)
            if not queue:
                self._forget_queue(client)
            self._queued -= 1
            raise AdmissionRefusedError(
                503,
                f"all {self.running} SPARQL places stayed busy for {self.wait_s:g} s; "
                "try again shortly",
                5,
            )

    def _forget_queue(self, client: str) -> None:
        del self._queues[client]

    def _start(self, client: str) -> None:
        self._busy += 1
        self._runs[client] = self._runs.get(client, 0) + 1
        self._ticks += 1
        served = self._served
        served.pop(client, None)
        served[client] = self._ticks  # to the end: the dict stays oldest first
        if len(served) > REMEMBERED:
            del served[next(iter(served))]

    def _dispatch(self) -> None:
        """Hand free places to waiting clients: fewest running first, then fewest
        stopped queries lately, then least used lately, then fewest requests
        lately, then served longest ago (round-robin among equals)."""
        now = time.monotonic()
        while self._busy < self.running and self._queued:
            runs, served = self._runs, self._served
            used, asked, stopped = self._used, self._asked, self._stopped
            client = min(
                self._queues,
                key=lambda c: (
                    runs.get(c, 0),
                    stopped.get(c, now),
                    used.get(c, now),
                    asked.get(c, now),
                    served.get(c, -1),
                ),
            )
            queue = self._queues[client]
            waiter = queue.popleft()
            if not queue:
                del self._queues[client]
            self._queued -= 1
            self._start(client)
            waiter.granted = True
            waiter.event.set()
