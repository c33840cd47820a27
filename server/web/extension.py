"""What a profile gives the engine: one record, read whole at start-up.

The engine knows RDF, HTTP, stores and pages; a profile knows one body of data
(its page kinds, its example queries, its landing page, its own views and the
site's name). ``CHARTA_PROFILE`` names the module whose ``PROFILE`` is that
record, as a Datasette plugin or an rdflib plugin is found by name; the engine
never imports a profile otherwise.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import Blueprint

from server.pages.kinds import PageKind
from server.pages.structured import SiteTexts
from server.pipeline.register import PLAIN, RegisterRules
from server.rdf.formats import RdfFormat
from server.sparql import Store


@dataclass(frozen=True)
class Example:
    """An example query of the SPARQL editor."""

    key: str
    #: English; the message id of its translations (server/translations/).
    title: str
    query: str


@dataclass(frozen=True)
class Profile:
    """Everything the engine reads of one body of data."""

    name: str
    site: SiteTexts
    #: Page kinds, asked in order; the engine's own (a release) come after them.
    kinds: tuple[PageKind, ...] = ()
    examples: tuple[Example, ...] = ()
    #: The landing page's extra template data: (store, namespace, language) -> data.
    landing: Callable[[Store, str, str], dict[str, object]] | None = None
    #: Views of its own (a register, say), registered on the app as they are.
    blueprints: tuple[Blueprint, ...] = field(default=())
    #: RDF formats beyond the engine's four (server/rdf/formats.py), offered everywhere.
    formats: tuple[RdfFormat, ...] = ()
    #: How a page names the links to a resource by each of the vocabulary's properties
    #: (local name -> message id), and which of them are keys for machines.
    inverse_labels: Mapping[str, str] = field(default_factory=dict)
    technical: frozenset[str] = frozenset()
    #: Paths of IRIs that were renamed -> their new paths: they answer 301 with the new
    #: one, so old links keep working (IRIs are forever) while the data names the new.
    moved: Mapping[str, str] = field(default_factory=dict)
    #: A folder of templates asked before the engine's (its kinds' templates, say).
    templates: str | None = None
    #: Its register tables' rules (server/pipeline/register.py): tables, columns, terms.
    register_rules: RegisterRules = PLAIN


class ProfileError(Exception):
    """The configured profile cannot be loaded; ``str()`` says which and why."""


def load_profile(name: str) -> Profile:
    """The ``PROFILE`` record of module ``name``."""
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise ProfileError(f"profile {name!r} cannot be imported: {exc}") from exc
    profile = getattr(module, "PROFILE", None)
    if not isinstance(profile, Profile):
        raise ProfileError(f"profile {name!r} has no PROFILE record (server.web.extension.Profile)")
    return profile
