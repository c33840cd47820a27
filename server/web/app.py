"""The application factory; `charta serve` runs it under granian (server/web/http_server.py)."""

from __future__ import annotations

import gc

from flask import Flask
from flask_babel import Babel
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader

from server import i18n
from server.config import Config
from server.pages.kinds import Kinds
from server.pages.model import PageTerms
from server.pipeline.backends import open_store
from server.rdf import formats
from server.rdf.labels import date_text, number_text, wraplines
from server.web import errors, lean, security_headers, state, warm
from server.web.extension import load_profile
from server.web.negotiation import choose_lang
from server.web.views import catalog, releases, resource, search, site, sparql
from server.web.views.representation import ENGINE_KINDS


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
    profile = load_profile(config.profile)
    for fmt in profile.formats:
        formats.register(fmt)
    if profile.templates is not None:
        engine: list[BaseLoader] = [app.jinja_loader] if app.jinja_loader else []
        app.jinja_loader = ChoiceLoader([FileSystemLoader(profile.templates), *engine])
    store = open_store(config, profile.register_rules)
    terms = PageTerms(
        Kinds(profile.kinds) + ENGINE_KINDS, profile.inverse_labels, profile.technical
    )
    state.init_app(app, config, store, profile, terms)
    if not config.testing:
        store.warm_up()
    app.jinja_env.filters["date_text"] = date_text
    app.jinja_env.filters["wraplines"] = wraplines
    app.jinja_env.filters["number_text"] = number_text
    _init_babel(app)

    errors.init_app(app)
    security_headers.init_app(app)
    app.register_blueprint(site.bp)
    app.register_blueprint(resource.bp)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(search.bp)
    for blueprint in profile.blueprints:
        app.register_blueprint(blueprint)
    app.register_blueprint(releases.bp)
    lean.init_app(app)  # finished answers sent again without Flask (server/web/lean.py)
    warm.start(app, app.extensions["charta"])  # after the lean path: it keeps what warms
    if not config.testing:
        # What exists now (modules, templates, the app) lives as long as the
        # process: kept out of the cyclic collector, a full collection no
        # longer walks 40,000 objects (35 ms on a 2-core EPYC) in some request.
        gc.freeze()
    return app


def _init_babel(app: Flask) -> None:
    """Flask-Babel on the app: the templates' ``_()`` and ``{% trans %}`` speak the page
    language, chosen as every view chooses it (``?lang=``, cookie, Accept-Language)."""
    Babel(
        app,
        locale_selector=choose_lang,
        default_locale=i18n.DEFAULT_LANG,
        default_translation_directories=str(i18n.TRANSLATIONS),
        default_domain=i18n.DOMAIN,
    )
    app.jinja_env.globals["other_langs"] = i18n.other_langs
    app.jinja_env.globals["lang_name"] = i18n.lang_name
