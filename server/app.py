"""The application factory; ``gunicorn 'server.app:create_app()'`` runs it in production."""

from __future__ import annotations

from flask import Flask

from server.build import build, load_build
from server.config import Config
from server.describe import Statistics
from server.labels import date_text
from server.store.embedded import EmbeddedStore


def create_app(config: Config | None = None) -> Flask:
    """Build the app on a finished config (``None``: read ``CHARTA_*`` from the environment).

    Refuses to start on data that fails validation, so a broken deployment is
    caught before it serves anything.
    """
    config = config or Config.from_env()
    app = Flask(__name__)
    app.config["TESTING"] = config.testing
    app.config["MAX_CONTENT_LENGTH"] = config.max_query_bytes * 2
    app.extensions["charta.config"] = config
    store = EmbeddedStore(config.root, config.namespace, config.query_workers)
    site_build = (
        load_build(config.dist_dir)
        if config.dist_dir
        else build(store, config.namespace, config.public_url)
    )
    app.extensions["charta.store"] = store
    app.extensions["charta.build"] = site_build
    app.extensions["charta.stats"] = Statistics(site_build.metadata)

    from server import errors
    from server.views import catalog, resource, site, sparql

    app.jinja_env.filters["date_text"] = date_text
    errors.init_app(app)
    app.register_blueprint(site.bp)
    app.register_blueprint(resource.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(catalog.bp)
    return app
