"""The application factory; `charta serve` runs it under granian (server/web/http_server.py)."""

from __future__ import annotations

import gc

from flask import Flask

from server import i18n
from server.config import Config
from server.rdf.labels import date_text, wraplines
from server.sparql import Store
from server.sparql.embedded import EmbeddedStore
from server.sparql.remote import RemoteStore
from server.web import state


def make_store(config: Config) -> Store:
    """The one place that knows which store implementations exist."""
    if config.store_url:
        return RemoteStore(config)
    return EmbeddedStore(config)


def refusal(config: Config) -> tuple[str | None, bool]:
    """Why the configured store cannot serve (None if it can), and whether the checkout's
    sources must be validated first (only when they are what will be served).

    A persisted store must have been built from the checkout's data; a remote
    store is validated by 'charta load', and may be down at start-up.
    """
    if config.store_url:
        return None, False
    if config.query_memory_required and config.query_memory_mb > 0:
        from server.sparql.sandbox import probe_memory_cap

        uncapped = probe_memory_cap(config.query_memory_mb)
        if uncapped:
            return (
                f"query workers' memory cannot be capped ({uncapped}) and "
                "CHARTA_QUERY_MEMORY_REQUIRED is set",
                False,
            )
    if config.store_dir is not None:
        from server.sparql.persisted import StoreDirError, check_fresh, read_meta

        try:
            check_fresh(
                config.store_dir, read_meta(config.store_dir, config.namespace), config.root
            )
        except StoreDirError as exc:
            return str(exc), False
        return None, False
    return None, True


def describe_store(config: Config) -> str:
    """The store in words, for the start-up line."""
    if config.store_url:
        return config.store_url
    if config.store_dir is not None:
        return f"the persisted store {config.store_dir}"
    return "the embedded store"


def protection(config: Config) -> str:
    """The second wall behind the query policy, said at start-up (docs/security.md)."""
    if config.store_url:
        return (
            "/sparql queries run on the remote server; keep it from opening connections "
            "(docs/deploy.md, 'A SPARQL server that cannot reach out')"
        )
    from server.sparql.sandbox import probe_isolation, probe_memory_cap

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


def create_app(config: Config | None = None) -> Flask:
    """Build the app on a finished config (``None``: read ``CHARTA_*`` from the environment).

    ``charta serve`` validates the data before calling this and refuses to start
    on violations. With a remote store the app starts even while the store is
    down: pages answer 503 until it is back.
    """
    config = config or Config.from_env()
    # Templates, static files and catalogues live at the package root, beside the profile.
    app = Flask("server")
    app.config["TESTING"] = config.testing
    # A form-encoded query is up to three times its text (each byte as %XX), plus the
    # other parameters.
    app.config["MAX_CONTENT_LENGTH"] = config.max_query_bytes * 3 + 16384
    store = make_store(config)
    state.init_app(app, config, store)
    if not config.testing:
        store.warm_up()
    app.jinja_env.filters["date_text"] = date_text
    app.jinja_env.filters["wraplines"] = wraplines
    i18n.init_app(app)

    from server.profile import register_view as register
    from server.web import errors, lean, security_headers
    from server.web.views import catalog, releases, resource, search, site, sparql

    errors.init_app(app)
    security_headers.init_app(app)
    app.register_blueprint(site.bp)
    app.register_blueprint(resource.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(register.bp)
    app.register_blueprint(releases.bp)
    lean.init_app(app)  # finished answers sent again without Flask (server/web/lean.py)
    if not config.testing:
        # What exists now (modules, templates, the app) lives as long as the
        # process: kept out of the cyclic collector, a full collection no
        # longer walks 40,000 objects (35 ms on a 2-core EPYC) in some request.
        gc.freeze()
    return app
