"""All settings in one registry: defaults < ``CHARTA_*`` environment < CLI flags.

Every field has a default and help text; ``docs/configuration.md`` is checked
against this table by a test, so the two cannot drift.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_NAMESPACE = "https://w3id.org/charta-ruhr/"


def _default_root() -> Path:
    """The project folder holding ontology/, data/ and shapes/.

    An editable install keeps the package inside the checkout, so the folder
    above the package is the project; otherwise fall back to the working folder.
    """
    here = Path(__file__).resolve().parent.parent
    if (here / "data").is_dir() and (here / "ontology").is_dir():
        return here
    return Path.cwd()


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Config:
    """A complete, validated configuration; the app never changes it afterwards."""

    namespace: str = _setting(
        DEFAULT_NAMESPACE,
        "Base namespace of every IRI we mint (must end with '/'). The Turtle files use "
        "relative IRIs and are parsed with this as base.",
    )
    root: Path = _setting(_default_root(), "Project folder with ontology/, data/ and shapes/.")
    public_url: str | None = _setting(
        None,
        "URL this server is reached at, if not the namespace (e.g. http://localhost:8080/). "
        "The sitemap, robots.txt, the catalog's download and endpoint URLs and the service "
        "description then point here. Default: the namespace (pages link by path either way).",
    )
    store_url: str | None = _setting(
        None, "SPARQL 1.1 query endpoint of a remote store; unset means the embedded store."
    )
    store_update_url: str | None = _setting(
        None, "SPARQL 1.1 update endpoint of the remote store (default: derived by the store)."
    )
    store_dir: Path | None = _setting(
        None, "Folder of a persisted embedded store (written by 'charta build --store-dir')."
    )
    query_timeout_s: float = _setting(
        10.0, "Wall-clock limit for one SPARQL query on /sparql; the query is then stopped."
    )
    max_rows: int = _setting(
        10000, "Most rows (or triples) one /sparql answer returns; more is cut and signalled."
    )
    max_query_bytes: int = _setting(65536, "Longest query text /sparql accepts (413 above).")
    max_query_depth: int = _setting(
        256,
        "Deepest nesting a /sparql query may have (brackets, operator chains, UNION branches "
        "and group elements count as levels; 400 above): deeper trees overflow the engine's stack.",
    )
    max_query_patterns: int = _setting(
        64,
        "Most triple patterns a /sparql query may hold, all its groups and subqueries "
        "together, and a quarter of the most graph patterns (400 above): the engine's join "
        "planner takes seconds for a few hundred.",
    )
    max_answer_mb: int = _setting(
        32,
        "Largest serialised /sparql answer; a longer one is cut at a whole row and "
        "signalled as with the row limit, so no answer can fill a web worker's memory.",
    )
    sparql_per_client: int = _setting(
        8,
        "SPARQL queries one client may have waiting in a web worker's queue (besides those "
        "it runs; 429 with Retry-After above). An idle server runs a client's queries on every "
        "free query worker; under contention the client whose queries cost least lately "
        "goes first, equals take turns.",
    )
    sparql_queue: int = _setting(
        16,
        "SPARQL queries that may wait in one web worker, all clients together; when it is "
        "full, a client with fewer queries than the busiest one takes the busiest one's "
        "newest place (that query gets 429), else 503 with Retry-After.",
    )
    client_header: str | None = _setting(
        None,
        "Request header that names the client's address, set by a reverse proxy in front "
        "(e.g. X-Forwarded-For: its last entry counts). Unset: the connection's address. "
        "Only set it behind a proxy that always sets the header, or clients choose who they are.",
    )
    query_workers: int = _setting(
        2, "Processes that evaluate /sparql queries for the embedded store."
    )
    query_memory_mb: int = _setting(
        1024,
        "Memory one /sparql query may use beyond the loaded data; a query that needs "
        "more is stopped (its worker ends and is replaced). 0: no limit.",
    )
    query_memory_required: bool = _setting(
        False,
        "Refuse to start query workers whose memory cap (CHARTA_QUERY_MEMORY_MB) the "
        "system does not allow: 'charta serve' exits and /sparql answers 503. Off: they "
        "start without one, and the start-up line and the log say so.",
    )
    query_queue_s: float = _setting(
        20.0,
        "How long a /sparql query may wait for its turn in its web worker's queue, and "
        "then for a free query worker, before 503 with Retry-After; its time limit "
        "starts after. Longer than the query timeout, so a newcomer outlasts a runaway "
        "query holding the place it gets next.",
    )
    remote_timeout_s: float = _setting(
        5.0, "How long a page waits for the remote store before answering 504."
    )
    page_threads: int = _setting(
        4,
        "Python threads per web process for pages, on top of those SPARQL and request bodies "
        "may hold (charta serve runs query_workers + sparql_queue + body_readers + "
        "page_threads threads in each process).",
    )
    header_timeout_s: float = _setting(
        5.0,
        "How long a client may take to send its request headers, and how long an idle "
        "keep-alive connection is kept; then the connection is closed.",
    )
    access_log: bool = _setting(
        True,
        "Log every request on stdout (granian's access log). Behind a reverse proxy that "
        "logs them already, 0 saves a third of the time of a kept answer (Python's logging "
        "runs for each line: docs/benchmarks.md).",
    )
    max_header_bytes: int = _setting(
        8192,
        "Longest request header (name and value) a request may carry; 431 above.",
    )
    max_headers_bytes: int = _setting(
        32768,
        "Most bytes of request headers (names and values) one request may carry; 431 "
        "above. granian itself refuses (431) a request head over 64 KiB + this + 1 KiB, "
        "room for the longest URL (64 KiB, else 414).",
    )
    body_readers: int = _setting(
        8,
        "Request bodies one web process reads at once (each holds a thread until its body "
        "is complete); a body beyond gets 503 with Retry-After at once.",
    )
    bodies_per_client: int = _setting(
        2,
        "Request bodies one client may be sending at once to a web process; beyond, 429 "
        "with Retry-After at once.",
    )
    connections_per_worker: int = _setting(
        8192,
        "Connections one web process holds open (idle and half-open ones included); more "
        "wait in the listen backlog. charta serve raises the open-file limit to fit.",
    )
    cache_max_age_s: int = _setting(300, "Cache-Control max-age for pages and RDF.")
    answer_cache_mb: int = _setting(
        64,
        "Memory per web worker for finished answers (pages, RDF, /sparql results), keyed "
        "by data version so never stale; 0 turns the cache off.",
    )
    dist_dir: Path | None = _setting(
        None, "Folder of built dumps ('charta build --out'); default: build them at start-up."
    )
    profile: str = _setting(
        "server.profile",
        "Python module whose PROFILE record says what the engine serves of the data: page "
        "kinds, example queries, the landing page, its own views and the site's name.",
    )
    testing: bool = _setting(False, "Test mode: errors propagate to the test client.")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Config:
        """Read ``CHARTA_<FIELD>`` variables, then apply explicit overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"CHARTA_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values).validated()

    def validated(self) -> Config:
        """Check values once at start-up, so a bad setting fails loudly, not later."""
        if not self.namespace.endswith("/") or "://" not in self.namespace:
            raise ValueError(
                f"namespace must be an absolute IRI ending with '/': {self.namespace!r}"
            )
        positive = (
            "query_timeout_s",
            "max_rows",
            "max_query_bytes",
            "max_query_depth",
            "max_query_patterns",
            "max_answer_mb",
            "sparql_per_client",
            "sparql_queue",
            "query_workers",
            "max_header_bytes",
            "max_headers_bytes",
            "body_readers",
            "bodies_per_client",
            "connections_per_worker",
        )
        if any(getattr(self, name) <= 0 for name in positive):
            raise ValueError(", ".join(positive) + " must be positive")
        if self.page_threads < 1:
            raise ValueError(f"page_threads must be at least 1: {self.page_threads}")
        if not 0.001 <= self.header_timeout_s <= 60:  # granian's bounds (1 ms to 60 s)
            raise ValueError(f"header_timeout_s must be within 0.001..60: {self.header_timeout_s}")
        if self.client_header is not None and not re.fullmatch(
            r"[A-Za-z0-9-]{1,64}", self.client_header
        ):
            raise ValueError(f"client_header must be a header name: {self.client_header!r}")
        if self.max_headers_bytes < self.max_header_bytes:
            raise ValueError("max_headers_bytes must be at least max_header_bytes")
        public = self.public_url
        if public is not None and not public.endswith("/"):
            public += "/"
        return dataclasses.replace(self, root=Path(self.root), public_url=public)

    @classmethod
    def help_table(cls) -> list[tuple[str, str, str]]:
        """(environment variable, default, help) for every setting."""
        rows = []
        for f in dataclasses.fields(cls):
            default = f.default if f.name != "root" else "(the checkout)"
            rows.append((f"CHARTA_{f.name.upper()}", str(default), f.metadata["help"]))
        return rows


def _coerce(kind: Any, raw: str) -> Any:
    kind = str(kind)
    if "bool" in kind:
        return raw.lower() in {"1", "true", "yes", "on"}
    if "int" in kind:
        return int(raw)
    if "float" in kind:
        return float(raw)
    if "Path" in kind:
        return Path(raw)
    return raw
