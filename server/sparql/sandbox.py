"""Worker processes that evaluate untrusted queries for the embedded store.

pyoxigraph's Python API has no query timeout (oxigraph#1926) and holds the
engine inside one call, so a runaway query can only be stopped by ending the
process that runs it. Each worker holds its own copy of the data (or opens the persisted store
read-only, which shares the operating system's page cache); a worker
that overruns its time is killed and replaced in the background, while the
other workers keep answering. Workers leave the network before they load
anything (:func:`isolate_network`), run at a lower CPU priority than the web
process, and check every job against the query policy again themselves.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from server.config import Config
from server.sparql import (
    DataSource,
    QueryAnswer,
    QueryJob,
    QueryMemoryError,
    QueryRefusedError,
    QuerySyntaxError,
    QueryTimeoutError,
    StoreUnavailableError,
)

_CTX = mp.get_context("spawn")  # no fork: the web server has threads and open sockets
_log = logging.getLogger(__name__)


def _limit_memory(extra_mb: int) -> str:
    """Cap this worker's private memory at what the loaded data takes plus ``extra_mb``;
    returns "" when the cap is set, else why it could not be (never silently).

    pyoxigraph has no memory limit either: a query that builds a huge string or
    sorts a cross product would take the machine's memory within its timeout.
    RLIMIT_DATA counts the heap and private mappings, not the persisted store's
    files (shared page cache), so the cap is about the query's own working set.
    What happens without it is the caller's policy (``query_memory_required``).
    """
    try:
        import resource  # POSIX only

        status = Path("/proc/self/status").read_text()
        used_kb = int(next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmData")))
        limit = used_kb * 1024 + extra_mb * 2**20
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except ImportError:
        return "this system has no resource limits (no POSIX 'resource' module)"
    except StopIteration:
        return "/proc/self/status has no VmData line"
    except (OSError, ValueError, OverflowError) as exc:
        return f"setrlimit(RLIMIT_DATA) failed: {exc}"
    return ""


def _probe_memory(conn: Connection, extra_mb: int) -> None:
    conn.send(_limit_memory(extra_mb))


def probe_memory_cap(extra_mb: int) -> str:
    """Why a query worker's memory cap of ``extra_mb`` could not be set ("" if it can),
    tried in a throwaway process (the cap cannot be lifted once set)."""
    parent, child = _CTX.Pipe()
    proc = _CTX.Process(
        target=_probe_memory, args=(child, extra_mb), daemon=True, name="charta-probe"
    )
    proc.start()
    child.close()
    try:
        return str(parent.recv()) if parent.poll(30) else "the probe process did not answer"
    except (OSError, EOFError):
        return "the probe process ended without an answer"
    finally:
        proc.join(5)


CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


def isolate_network() -> str:
    """Take this process off every network: the second wall behind the query policy.

    In a new, empty network namespace there is no interface but a loopback
    that is down, so no query (a SERVICE that slipped through, or a future
    engine feature that fetches) can connect anywhere, not even to this
    machine's own ports. Root (or CAP_SYS_ADMIN) may unshare the network
    directly; others need a user namespace too, which most distributions
    allow. Must run before the process starts threads (a user namespace
    cannot be entered by a threaded process). Returns what is in force, or ""
    when the system allows neither (docs/security.md says what to do then).
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNET) == 0:
            return "network namespace"
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
            Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
            return "user and network namespace"
    except (OSError, AttributeError):
        pass
    return ""


def _probe(conn: Connection) -> None:
    conn.send(isolate_network())


def probe_isolation() -> str:
    """What a query worker would get (see :func:`isolate_network`), tried in a throwaway process."""
    parent, child = _CTX.Pipe()
    proc = _CTX.Process(target=_probe, args=(child,), daemon=True, name="charta-probe")
    proc.start()
    child.close()
    try:
        return str(parent.recv()) if parent.poll(30) else ""
    except (OSError, EOFError):
        return ""
    finally:
        proc.join(5)


def _serve(conn: Connection, config: Config, source: DataSource) -> None:
    """Worker main loop: leave the network, load the data, then answer jobs until told to stop."""
    isolation = isolate_network()
    try:
        os.nice(5)  # pages first: a runaway query gets the CPU that is left over
    except OSError:
        pass
    # Imported here, once the process has left the network: no module the worker loads
    # for evaluating queries runs with network access, and the parent never loads them.
    import pyoxigraph as ox

    from server.rdf.namespaces import all_prefixes
    from server.sparql import QueryRefusedError
    from server.sparql.evaluate import evaluate
    from server.sparql.persisted import open_read_only
    from server.sparql.policy import check

    if config.store_dir is not None:
        store = open_read_only(config.store_dir)
    else:
        store = ox.Store()
        source.load(store)
    prefixes = all_prefixes(config.namespace)
    uncapped = ""
    if config.query_memory_mb > 0:
        uncapped = _limit_memory(config.query_memory_mb)
        if uncapped and config.query_memory_required:
            conn.send(("refused", f"its memory cannot be capped: {uncapped}"))
            return
        # Stopping a query at the cap is routine here, not a crash to debug.
        os.environ["RUST_BACKTRACE"] = "0"
    # Ready without counting the store: len() reads a whole index of a persisted
    # store, which left ~32 MiB of its blocks in every worker's cache at 10^6
    # triples (and 0.1 s per start) for a number nobody used.
    conn.send(("ready", isolation, uncapped))
    while True:
        job = conn.recv()
        if job is None:
            return
        try:
            # again, in the process that runs it
            checked = check(
                job.query, job.max_bytes, job.max_depth, job.max_patterns, config.namespace
            )
            job = dataclasses.replace(job, query=checked.text)  # what the engine runs
            conn.send(("ok", evaluate(store, job, prefixes, checked.star_order)))
        except QueryRefusedError as exc:
            conn.send(("refused", (exc.status, str(exc))))
        except QuerySyntaxError as exc:
            conn.send(("syntax", str(exc)))
        except MemoryError:  # Python's side ran out; the engine's side aborts the process
            conn.send(("memory", ""))
        except Exception as exc:  # reported to the client as a 400 with the engine's words
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection


class QueryPool:
    """A fixed number of query workers, started on first use and kept at that number."""

    def __init__(self, config: Config, source: DataSource) -> None:
        """``config.query_workers`` workers; a query waits at most ``config.query_queue_s``
        for a free one; each may use ``config.query_memory_mb`` beyond the data (0: no cap).

        A waiting query holds a web server thread; if it could wait for the
        whole query timeout, a handful of slow queries would leave no thread
        for pages. Past the wait it is answered 503 (try again).
        """
        self._config = config
        self._source = source
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._started = False
        self._closed = False
        self._lock = threading.Lock()
        #: What keeps the workers off the network ("" if nothing could), once one has started.
        self.isolation: str | None = None
        self._said_uncapped = False

    def _spawn(self) -> _Worker:
        parent, child = _CTX.Pipe()
        proc = _CTX.Process(
            target=_serve,
            args=(child, self._config, self._source),
            daemon=True,
            name="charta-query",
        )
        proc.start()
        child.close()
        try:
            message = parent.recv() if parent.poll(120) else None
        except (OSError, EOFError):
            message = None
        if not message or message[0] != "ready":
            proc.kill()
            proc.join(5)
            if message and message[0] == "refused":  # CHARTA_QUERY_MEMORY_REQUIRED
                raise StoreUnavailableError(f"a query worker refused to start: {message[1]}")
            raise StoreUnavailableError("a query worker failed to start")
        if len(message) > 2 and message[2] and not self._said_uncapped:
            self._said_uncapped = True
            _log.warning(
                "query workers run without a memory cap (%s); set CHARTA_QUERY_MEMORY_REQUIRED "
                "to refuse that",
                message[2],
            )
        if self.isolation is None:
            self.isolation = message[1]
            if not self.isolation:
                _log.warning(
                    "query workers have network access: this system allows no network "
                    "namespace (see docs/security.md)"
                )
        return _Worker(proc, parent)

    def _replace_later(self) -> None:
        """Start a worker in place of one that ended, retrying until it starts or the pool closes.

        A failed start (out of memory or processes for a moment) is logged and
        tried again with growing pauses, so the pool never shrinks for good in
        silence.
        """

        def start() -> None:
            pause = 0.5
            while not self._closed:
                try:
                    self._idle.put(self._spawn())
                    return
                except StoreUnavailableError as exc:
                    if self._closed or sys.is_finalizing():
                        return
                    _log.error("cannot replace a query worker (%s); retrying in %g s", exc, pause)
                    time.sleep(pause)
                    pause = min(pause * 2, 30.0)

        threading.Thread(target=start, daemon=True, name="charta-respawn").start()

    def _discard(self, worker: _Worker) -> int | None:
        """End ``worker`` (if it still runs), start a replacement, and return its exit code."""
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(2)
        worker.conn.close()
        self._replace_later()
        return worker.process.exitcode

    def start(self) -> None:
        with self._lock:
            if not self._started:
                for _ in range(self._config.query_workers):
                    self._idle.put(self._spawn())
                self._started = True

    def start_in_background(self) -> None:
        """Spawn the workers off the request path. A failure here (the server is
        shutting down, or out of processes) is logged, not a thread traceback:
        the first query tries again and answers 503 if it fails too."""

        def start() -> None:
            try:
                self.start()
            except StoreUnavailableError as exc:
                if not (self._closed or sys.is_finalizing()):  # not news while stopping
                    _log.warning("query workers not started yet: %s", exc)

        threading.Thread(target=start, daemon=True, name="charta-warm-up").start()

    def _take(self, deadline: float) -> _Worker:
        """A live idle worker; one that died while idle is replaced, not handed out."""
        wait = min(deadline - time.monotonic(), self._config.query_queue_s)
        end = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                worker = self._idle.get(timeout=max(end - time.monotonic(), 0.001))
            except queue.Empty:
                raise StoreUnavailableError(
                    f"all {self._config.query_workers} query workers are busy "
                    f"(waited {max(wait, 0):g} s); try again shortly"
                ) from None
            if worker.process.is_alive():
                return worker
            _log.warning("a query worker had ended while idle (exit %s)", self._discard(worker))

    def run(self, job: QueryJob, timeout: float) -> QueryAnswer:
        """Answer ``job`` within ``timeout`` seconds or stop it.

        A worker found dead when the job is handed over (it ended between
        queries) is replaced and the job goes to another; a worker that dies
        during the job is replaced and the job tried once more on a fresh one.
        Only a job that really runs out of time is a timeout. The time starts when
        the first worker is handed over: waiting for one (at most
        ``query_queue_s``, e.g. while one stopped after a timeout is replaced) is
        not the job's time.
        """
        self.start()
        deadline = 0.0
        crashes = 0
        while True:
            if not deadline:
                worker = self._take(time.monotonic() + self._config.query_queue_s)
                deadline = time.monotonic() + timeout
            else:
                worker = self._take(deadline)
            try:
                worker.conn.send(job)
            except (OSError, EOFError):  # died after _take looked: not the job's doing
                _log.warning("a query worker had ended (exit %s)", self._discard(worker))
                continue
            remaining = deadline - time.monotonic()
            try:
                ready = remaining > 0 and worker.conn.poll(remaining)
            except (OSError, EOFError):
                ready = True  # the pipe broke: recv below says how
            if not ready:
                self._discard(worker)
                raise QueryTimeoutError(f"the query ran longer than {timeout:g} s and was stopped")
            try:
                status, payload = worker.conn.recv()
            except (OSError, EOFError):
                code = self._discard(worker)
                if (
                    self._config.query_memory_mb and code == -signal.SIGABRT
                ):  # Rust: allocation failed
                    raise self._memory_error() from None
                crashes += 1
                _log.error("a query worker died during a query (exit %s)", code)
                if crashes == 1 and deadline - time.monotonic() > 0:
                    continue
                raise QuerySyntaxError(
                    "the engine could not evaluate this query: its worker process ended "
                    f"twice (exit {code})"
                ) from None
            self._idle.put(worker)
            return self._result(status, payload)

    def _result(self, status: str, payload: object) -> QueryAnswer:
        if status == "ok":
            return payload  # type: ignore[return-value]
        if status == "memory":
            raise self._memory_error()
        if status == "refused":
            assert isinstance(payload, tuple)
            code, message = payload
            raise QueryRefusedError(int(code), str(message))
        raise QuerySyntaxError(str(payload))

    def _memory_error(self) -> QueryMemoryError:
        """A worker that aborted under the memory cap. An allocation past the cap aborts it,
        but so does a panic inside the engine (pyoxigraph 0.5.13 aborts when its ORDER BY
        finds the order of terms not total), and the two end alike: the message says both."""
        return QueryMemoryError(
            f"the query needed more than {self._config.query_memory_mb} MB of memory "
            "and was stopped (or the engine aborted on it)"
        )

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return
            try:
                worker.conn.send(None)
            except OSError:
                pass
            worker.process.join(2)
            if worker.process.is_alive():
                worker.process.kill()
