"""Real SPARQL servers for the remote-store tests: Oxigraph server and Virtuoso.

Each runs as its own process on a free loopback port with its own database
folder, and can be stopped and started again on the same port and data (the
fault tests do that). Oxigraph server runs bounded as docs/deploy.md says to run
it: a cap on its private memory (``RLIMIT_DATA``) and its own ``--timeout-s``
below charta's ``CHARTA_QUERY_TIMEOUT_S``.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

OXIGRAPH = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")


class ServerExitedError(RuntimeError):
    """The server process ended before it answered (a port taken, a bad setting)."""


def wait_until_responds(
    url: str, seconds: float = 60.0, proc: subprocess.Popen | None = None
) -> None:
    """Poll until the server answers any HTTP status (it is up); fail at once if ``proc`` ends."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServerExitedError(
                f"{url}: the server exited ({proc.returncode}) before answering"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError as exc:
            exc.close()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up within {seconds:g} s")


@dataclass
class ServerProcess:
    """A server we can stop and start again on the same port and data."""

    name: str
    command: list[str]
    query_url: str
    ready_url: str
    workdir: Path
    proc: subprocess.Popen | None = field(default=None, repr=False)
    #: Cap on the server's private memory (RLIMIT_DATA, as ``prlimit --data`` sets it).
    memory_mb: int | None = None

    def start(self) -> ServerProcess:
        log = (self.workdir / f"{self.name}.out").open("ab")
        self.proc = subprocess.Popen(self.command, cwd=self.workdir, stdout=log, stderr=log)
        if self.memory_mb:
            # Past the cap an allocation fails and the server stops (Oxigraph aborts)
            # instead of taking the machine's memory. Set on the running process, as
            # prlimit(1) does: no code runs between fork and exec.
            cap = self.memory_mb * 2**20
            resource.prlimit(self.proc.pid, resource.RLIMIT_DATA, (cap, cap))
        log.close()
        wait_until_responds(self.ready_url, proc=self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def start_on_fresh_ports(make: Callable[[], ServerProcess], attempts: int = 5) -> ServerProcess:
    """Start the server ``make`` builds (on ports it picks), trying again with a new one
    when it exits before answering: a free port can be taken before the server binds it
    (the hostile tests open hundreds of loopback connections, each on an ephemeral port)."""
    for attempt in range(attempts):
        server = make()
        try:
            return server.start()
        except ServerExitedError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def oxigraph(
    workdir: Path, port: int, timeout_s: int = 4, memory_mb: int | None = 4096
) -> ServerProcess:
    """Oxigraph server (PyPI ``oxigraph``) with its own query timeout, below the 5 s and
    10 s that the suites give charta, and a cap on its private memory (``None``: none).

    The timeout does not stop Oxigraph's planner or a sort in progress (a sorted cross
    product grew it to 7 GB past a 4 s timeout); the memory cap does: the server aborts
    at the cap, and a supervisor starts it again (docs/deploy.md)."""
    return ServerProcess(
        "oxigraph",
        [
            OXIGRAPH,
            "serve",
            "--location",
            str(workdir / "db"),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout-s",
            str(timeout_s),
        ],
        f"http://127.0.0.1:{port}/query",
        f"http://127.0.0.1:{port}/",
        workdir,
        memory_mb=memory_mb,
    )


def virtuoso(workdir: Path, http_port: int, sql_port: int, timeout_s: int = 5) -> ServerProcess:
    """Debian's Virtuoso with a private database and its own query time limit."""
    ini = workdir / "virtuoso.ini"
    ini.write_text(f"""[Database]
DatabaseFile = {workdir}/virtuoso.db
ErrorLogFile = {workdir}/virtuoso.log
LockFile = {workdir}/virtuoso.lck
TransactionFile = {workdir}/virtuoso.trx
xa_persistent_file = {workdir}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {workdir}/virtuoso-temp.db
TransactionFile = {workdir}/virtuoso-temp.trx
[Parameters]
ServerPort = {sql_port}
DisableUnixSocket = 1
DirsAllowed = .
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
[HTTPServer]
ServerPort = {http_port}
ServerRoot = {workdir}
ServerThreads = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = {timeout_s}
MaxQueryCostEstimationTime = 0
""")
    url = f"http://127.0.0.1:{http_port}/sparql"
    return ServerProcess(
        "virtuoso", [str(VIRTUOSO), "-f", "-c", str(ini)], url, url + "?query=ASK%7B%7D", workdir
    )


def grant_virtuoso_updates(sql_port: int) -> None:
    """Let the anonymous SPARQL user update (this test database only)."""
    subprocess.run(
        [str(ISQL), str(sql_port), "dba", "dba", 'exec=grant SPARQL_UPDATE to "SPARQL";'],
        check=True,
        capture_output=True,
        timeout=60,
    )


def virtuoso_required() -> bool:
    """In CI, .ci/run installs Virtuoso, so its absence is a failure, not a skip."""
    return os.environ.get("CI") == "true"
