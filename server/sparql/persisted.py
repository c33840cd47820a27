"""A persisted embedded store: Oxigraph's on-disk format, written once by ``charta build``.

Parsing Turtle is what makes start-up slow at a million triples; opening a
RocksDB folder read-only is not, and any number of processes (web workers and
query workers) may open the same folder at once without copying the data into
each one's memory. The folder records which sources it was built from, so a
server never serves a store that no longer matches the checkout. Beside the
store, the pipeline may keep more of the same data version (``charta build``
writes every resource's description there, server/pages/materialised.py).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pyoxigraph as ox

from server.sparql import DataSource

META_FILE = "charta-store.json"
DB_DIR = "oxigraph"
FORMAT = 1


class StoreDirError(Exception):
    """The folder is not a usable persisted store; ``str()`` says why and what to run."""


@dataclass(frozen=True)
class StoreMeta:
    """What a persisted store was built from."""

    version: str
    modified: float
    namespace: str
    triples: int
    format: int = FORMAT


def write_store_dir(
    source: DataSource,
    namespace: str,
    out: Path,
    beside: Callable[[ox.Store, str, Path], None] | None = None,
) -> StoreMeta:
    """Load ``source`` into a new store folder, then swap it in place of ``out``.

    The swap is two renames, so a server opening ``out`` sees the old or the new
    store, never half of one. A folder that is not a store of ours is never
    overwritten. ``beside(store, version, folder)`` writes what else the folder
    keeps of this data version, from the store as a server opens it (read-only),
    before the swap.
    """
    out = Path(out)
    if out.exists() and not (out / META_FILE).exists():
        if not out.is_dir() or any(out.iterdir()):
            raise StoreDirError(f"{out}: exists and is not a charta store; not overwriting it")
    tmp = out.with_name(f".{out.name}.building-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        store = ox.Store(str(tmp / DB_DIR))
        version, newest = source.load(store)
        store.optimize()
        triples = len(store)
        store.flush()
        del store
        if beside is not None:
            beside(ox.Store.read_only(str(tmp / DB_DIR)), version, tmp)
        meta = StoreMeta(version, newest, namespace, triples)
        (tmp / META_FILE).write_text(json.dumps(asdict(meta), indent=1) + "\n", encoding="utf-8")
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return meta


def read_meta(folder: Path, namespace: str) -> StoreMeta:
    """The folder's metadata, checked against the namespace this server serves."""
    path = Path(folder) / META_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        meta = StoreMeta(**raw)
    except FileNotFoundError:
        raise StoreDirError(
            f"{folder}: not a persisted store (no {META_FILE}); "
            f"write one with 'charta build --store-dir {folder}'"
        ) from None
    except (OSError, ValueError, TypeError) as exc:
        raise StoreDirError(f"{path}: unreadable: {exc}") from exc
    if meta.format != FORMAT:
        raise StoreDirError(f"{folder}: store format {meta.format}, expected {FORMAT}; rebuild it")
    if meta.namespace != namespace:
        raise StoreDirError(
            f"{folder}: built for namespace {meta.namespace}, not {namespace}; rebuild it"
        )
    return meta


def check_fresh(folder: Path, meta: StoreMeta, source: DataSource) -> None:
    """Refuse a store built from other data than the source's (when it has any: an
    empty version says the source has none, and the store is all there is)."""
    version, _ = source.fingerprint()
    if version and version != meta.version:
        raise StoreDirError(
            f"{folder}: built from other data than {source} (store {meta.version}, "
            f"source {version}); run 'charta build --store-dir {folder}'"
        )


def open_read_only(folder: Path) -> ox.Store:
    try:
        return ox.Store.read_only(str(Path(folder) / DB_DIR))
    except OSError as exc:
        raise StoreDirError(f"{folder}: cannot open the store: {exc}") from exc
