"""The store backends, one record each: the one place that knows which stores exist.

A :class:`Backend` says when a configuration chooses it, how to open it on the
checkout's data, what may stop it serving, how ``charta serve`` describes it and
its second wall at start-up, whether reading its data version costs nothing (the
lean path keys its cache on it), and how ``charta load`` fills it. A new backend
is one record in :data:`BACKENDS`; the web tier, the CLI, the build and the
releases ask :func:`backend_for` and nothing else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from server.config import Config
from server.pipeline.load import LoadResult
from server.pipeline.load import load as load_remote
from server.pipeline.register import RegisterRules
from server.pipeline.sources import Checkout
from server.sparql import Store
from server.sparql.embedded import EmbeddedStore
from server.sparql.persisted import StoreDirError, check_fresh, read_meta
from server.sparql.remote import RemoteStore
from server.sparql.sandbox import probe_isolation, probe_memory_cap


class Opener(Protocol):
    """Opens a backend's store on the config's data, the register tables under ``tables``
    (the profile's rules; None: those of the profile the config names)."""

    def __call__(self, config: Config, tables: RegisterRules | None = None) -> Store: ...


@dataclass(frozen=True)
class Backend:
    """One kind of store, everything the rest of the program asks of it."""

    name: str
    #: Whether a configuration asks for this backend (the first record that says so wins).
    chosen: Callable[[Config], bool]
    #: The store on the checkout's data (or on what the remote server holds).
    open: Opener
    #: Why it cannot serve (None if it can), and whether the checkout must be validated
    #: first (only when the checkout is what it will serve).
    refusal: Callable[[Config], tuple[str | None, bool]]
    #: The store in words, for the start-up line.
    describe: Callable[[Config], str]
    #: The second wall behind the query policy, in words (docs/security.md).
    protection: Callable[[Config], str]
    #: Reading ``store.version`` is an attribute, not a question to a server.
    version_is_free: bool
    #: How ``charta load`` fills it (None: it is filled where it is opened).
    load: Callable[[Config, str], LoadResult] | None = None


def _workers_refusal(config: Config) -> str | None:
    if config.query_memory_required and config.query_memory_mb > 0:
        uncapped = probe_memory_cap(config.query_memory_mb)
        if uncapped:
            return (
                f"query workers' memory cannot be capped ({uncapped}) and "
                "CHARTA_QUERY_MEMORY_REQUIRED is set"
            )
    return None


def _embedded_refusal(config: Config) -> tuple[str | None, bool]:
    return _workers_refusal(config), True


def _persisted_refusal(config: Config) -> tuple[str | None, bool]:
    refused = _workers_refusal(config)
    if refused:
        return refused, False
    assert config.store_dir is not None
    try:  # built from the checkout's data (validated when it was built)
        check_fresh(  # the data version alone: no rules needed to read it
            config.store_dir,
            read_meta(config.store_dir, config.namespace),
            Checkout(config.root, config.namespace),
        )
    except StoreDirError as exc:
        return str(exc), False
    return None, False


def _workers_protection(config: Config) -> str:
    isolation = probe_isolation()
    if isolation:
        said = f"query workers run without network access ({isolation})"
    else:
        said = (
            "WARNING: query workers have network access (this system allows no network "
            "namespace); the query policy is the only wall (docs/security.md)"
        )
    if config.query_memory_mb <= 0:
        return said + "; WARNING: no memory cap per query (CHARTA_QUERY_MEMORY_MB=0)"
    uncapped = probe_memory_cap(config.query_memory_mb)
    if uncapped:
        return said + f"; WARNING: query workers' memory cannot be capped ({uncapped})"
    return said + f"; each may use {config.query_memory_mb} MB beyond the data"


def _remote_protection(config: Config) -> str:
    return (
        "/sparql queries run on the remote server; keep it from opening connections "
        "(docs/deploy.md, 'A SPARQL server that cannot reach out')"
    )


def _load_remote(config: Config, query_url: str) -> LoadResult:
    return load_remote(config.root, config.namespace, query_url, config.store_update_url)


def _open_embedded(config: Config, tables: RegisterRules | None = None) -> Store:
    return EmbeddedStore(config, Checkout.of(config, tables))


def _open_remote(config: Config, tables: RegisterRules | None = None) -> Store:
    return RemoteStore(config)  # 'charta load' converted the tables


REMOTE = Backend(
    "remote",
    chosen=lambda config: bool(config.store_url),
    open=_open_remote,
    # Validated by 'charta load'; may be down at start-up (pages answer 503 until it is back).
    refusal=lambda config: (None, False),
    describe=lambda config: str(config.store_url),
    protection=_remote_protection,
    version_is_free=False,
    load=_load_remote,
)
PERSISTED = Backend(
    "persisted",
    chosen=lambda config: config.store_dir is not None,
    open=_open_embedded,
    refusal=_persisted_refusal,
    describe=lambda config: f"the persisted store {config.store_dir}",
    protection=_workers_protection,
    version_is_free=True,
)
EMBEDDED = Backend(
    "embedded",
    chosen=lambda config: True,
    open=_open_embedded,
    refusal=_embedded_refusal,
    describe=lambda config: "the embedded store",
    protection=_workers_protection,
    version_is_free=True,
)

#: Asked in this order; the last one takes every configuration.
BACKENDS: tuple[Backend, ...] = (REMOTE, PERSISTED, EMBEDDED)


def backend_for(config: Config) -> Backend:
    """The backend a configuration chooses."""
    return next(b for b in BACKENDS if b.chosen(config))


def open_store(config: Config, tables: RegisterRules | None = None) -> Store:
    """The store a configuration chooses, opened; ``tables``: the profile's rules for the
    register tables (None: those of the profile the config names)."""
    return backend_for(config).open(config, tables)


def checkout_store(
    config: Config, workers: int | None = None, tables: RegisterRules | None = None
) -> EmbeddedStore:
    """An in-process store of the checkout's sources as they are now (never a persisted
    store, which may be older, nor a remote one): what a build or a release is made from."""
    config = dataclasses.replace(
        config, store_dir=None, query_workers=workers or config.query_workers
    )
    return EmbeddedStore(config, Checkout.of(config, tables))
