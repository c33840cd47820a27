"""Worker processes that evaluate untrusted queries for the embedded store.

pyoxigraph's Python API has no query timeout (oxigraph#1926) and holds the
engine inside one call, so a runaway query can only be stopped by ending the
process that runs it. Each worker holds its own copy of the data (or opens the persisted store
read-only, which shares the operating system's page cache); a worker
that overruns its time is killed and replaced in the background, while the
other workers keep answering.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from server.store import (
    QueryAnswer,
    QueryJob,
    QueryMemoryError,
    QuerySyntaxError,
    QueryTimeoutError,
    StoreUnavailableError,
)

_CTX = mp.get_context("spawn")  # no fork: the web server has threads and open sockets
_log = logging.getLogger(__name__)


def _limit_memory(extra_mb: int) -> None:
    """Cap this worker's private memory at what the loaded data takes plus ``extra_mb``.

    pyoxigraph has no memory limit either: a query that builds a huge string or
    sorts a cross product would take the machine's memory within its timeout.
    RLIMIT_DATA counts the heap and private mappings, not the persisted store's
    files (shared page cache), so the cap is about the query's own working set.
    Where the kernel does not enforce it, nothing happens.
    """
    try:
        import resource  # POSIX only

        status = Path("/proc/self/status").read_text()
        used_kb = int(next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmData")))
        limit = used_kb * 1024 + extra_mb * 2**20
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (ImportError, OSError, ValueError, StopIteration):
        pass


def _serve(
    conn: Connection, root: str, namespace: str, store_dir: str | None, memory_mb: int = 0
) -> None:
    """Worker main loop: load the data once, then answer jobs until told to stop."""
    import pyoxigraph as ox

    from server.namespaces import all_prefixes
    from server.sources import SOURCE_DIRS, parse_into, source_files
    from server.store.evaluate import evaluate
    from server.store.persisted import open_read_only

    if store_dir is not None:
        store = open_read_only(Path(store_dir))
    else:
        store = ox.Store()
        for src in source_files(Path(root), SOURCE_DIRS):
            parse_into(store, src.path, namespace)
    prefixes = all_prefixes(namespace)
    if memory_mb > 0:
        _limit_memory(memory_mb)
        # Stopping a query at the cap is routine here, not a crash to debug.
        os.environ["RUST_BACKTRACE"] = "0"
    conn.send(("ready", len(store)))
    while True:
        job = conn.recv()
        if job is None:
            return
        try:
            conn.send(("ok", evaluate(store, job, prefixes)))
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
    """A fixed number of query workers, started on first use."""

    def __init__(
        self,
        size: int,
        root: Path,
        namespace: str,
        store_dir: Path | None = None,
        queue_wait_s: float = 2.0,
        memory_mb: int = 0,
    ) -> None:
        """``queue_wait_s`` bounds how long a query waits for a free worker;
        ``memory_mb`` what one query may use beyond the data (0: no cap).

        A waiting query holds a web server thread; if it could wait for the
        whole query timeout, a handful of slow queries would leave no thread
        for pages. Past the wait it is answered 503 (try again).
        """
        self._size = size
        self._queue_wait_s = queue_wait_s
        self._memory_mb = memory_mb
        self._args = (
            str(root),
            namespace,
            None if store_dir is None else str(store_dir),
            memory_mb,
        )
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._started = False
        self._closed = False
        self._lock = threading.Lock()

    def _spawn(self) -> _Worker:
        parent, child = _CTX.Pipe()
        proc = _CTX.Process(
            target=_serve, args=(child, *self._args), daemon=True, name="charta-query"
        )
        proc.start()
        child.close()
        try:
            ok = parent.poll(120) and parent.recv()[0] == "ready"
        except (OSError, EOFError):
            ok = False
        if not ok:
            proc.kill()
            raise StoreUnavailableError("a query worker failed to start")
        return _Worker(proc, parent)

    def _replace_later(self) -> None:
        def start() -> None:
            try:
                self._idle.put(self._spawn())
            except StoreUnavailableError:
                pass

        threading.Thread(target=start, daemon=True).start()

    def start(self) -> None:
        with self._lock:
            if not self._started:
                for _ in range(self._size):
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

    def run(self, job: QueryJob, timeout: float) -> QueryAnswer:
        """Answer ``job`` within ``timeout`` seconds or stop it."""
        self.start()
        try:
            worker = self._idle.get(timeout=min(timeout, self._queue_wait_s))
        except queue.Empty:
            raise StoreUnavailableError(
                f"all {self._size} query workers are busy (waited "
                f"{min(timeout, self._queue_wait_s):g} s); try again shortly"
            ) from None
        try:
            worker.conn.send(job)
            ready = worker.conn.poll(timeout)
        except (OSError, EOFError):
            ready = False
        if not ready:
            worker.process.kill()
            worker.process.join(5)
            self._replace_later()
            raise QueryTimeoutError(f"the query ran longer than {timeout:g} s and was stopped")
        try:
            status, payload = worker.conn.recv()
        except (OSError, EOFError):
            worker.process.join(1)
            code = worker.process.exitcode
            worker.process.kill()
            self._replace_later()
            if self._memory_mb and code == -signal.SIGABRT:  # Rust: allocation failed
                raise self._memory_error() from None
            raise StoreUnavailableError("the query worker died") from None
        self._idle.put(worker)
        if status == "ok":
            return payload
        if status == "memory":
            raise self._memory_error()
        raise QuerySyntaxError(payload)

    def _memory_error(self) -> QueryMemoryError:
        return QueryMemoryError(
            f"the query needed more than {self._memory_mb} MB of memory and was stopped"
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
