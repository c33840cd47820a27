"""Every URL the site builds, in one place (as Datasette's ``Urls``), never from ``Host``.

Our IRIs are names in the namespace (``https://w3id.org/charta-ruhr/id/charta``);
each answers at its path on this server (``/id/charta``), and its formats at
``/id/charta.ttl`` and so on. Links in pages are paths, so they work on any
origin; absolute URLs (the SPARQL endpoint in the service description,
download locations) use the configured public URL, else the namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from server.rdf.formats import BY_SUFFIX, RDF_FORMATS


@dataclass(frozen=True)
class Urls:
    namespace: str
    public_url: str | None = None

    @property
    def base(self) -> str:
        """Where this server is reached from outside: the public URL, else the namespace."""
        return self.public_url or self.namespace

    @property
    def vocabulary(self) -> str:
        """The namespace of our own terms (``cgi:``)."""
        return self.namespace + "ontology#"

    @property
    def ontology(self) -> str:
        """The vocabulary's IRI (the document); its terms are ``{ns}ontology#Term``."""
        return self.namespace + "ontology"

    def ontology_version(self, version: str) -> str:
        """An owl:versionIRI of the vocabulary (``{ns}ontology/1.0.0``)."""
        return f"{self.ontology}/{version}"

    def release(self, version: str) -> str:
        """A release's IRI, also the name of the graph that holds its state."""
        return f"{self.namespace}id/version/{version}"

    def iri(self, path: str) -> str:
        """The IRI a path of ours names (``id/charta`` -> ``{ns}id/charta``)."""
        return self.namespace + path.lstrip("/")

    def local(self, iri: str) -> str:
        """Our IRIs become paths on this server, so links work on any origin."""
        if iri.startswith(self.namespace):
            return "/" + iri[len(self.namespace) :]
        return iri

    def absolute(self, path: str) -> str:
        """A path of this server as an absolute URL, for answers read elsewhere."""
        return self.base.rstrip("/") + "/" + path.lstrip("/")

    def here(self, path: str) -> str:
        """A path of this server for a ``Location`` or ``Link`` header: absolute with the
        configured public URL (``--base-url``), else the path, which the client resolves
        against the URL it asked (RFC 9110 §10.2.2, RFC 8288 §3.2), as the pages' links
        are: never the namespace's host, which is not where a local server runs.

        The path is percent-encoded except for unreserved characters, ``/`` and a few
        sub-delimiters, so a decoded request path with ``>``, ``;``, ``,``, ``"`` or
        spaces cannot end the target and add relations to a ``Link`` header.
        """
        safe = quote("/" + path.lstrip("/"), safe="/-._~!$&'()*+=:@")
        return self.public_url.rstrip("/") + safe if self.public_url else safe

    @property
    def endpoint(self) -> str:
        return self.absolute("sparql")

    # Memento (RFC 7089): a resource's past states, one per release.
    @staticmethod
    def memento(version: str, path: str) -> str:
        """The path of ``path``'s state in a release (``/version/1.0/id/charta``)."""
        return f"/version/{version}/{path.lstrip('/')}"

    def memento_link(self, version: str, iri: str) -> str:
        """Links in a release's page: our resources in the same release, the rest as now."""
        local = self.local(iri)
        if local.startswith("/id/"):
            return self.memento(version, local)
        return local

    def memento_links(self, path: str) -> str:
        """The ``Link`` values an original resource names its TimeGate and TimeMap with."""
        return (
            f'<{self.here(self.timegate(path))}>; rel="timegate", '
            f'<{self.here(self.timemap(path))}>; rel="timemap"; '
            'type="application/link-format"'
        )

    @staticmethod
    def timegate(path: str) -> str:
        return f"/timegate/{path.lstrip('/')}"

    @staticmethod
    def timemap(path: str) -> str:
        return f"/timemap/{path.lstrip('/')}"

    @staticmethod
    def release_endpoint(version: str) -> str:
        """A release's own SPARQL endpoint: its state is the default graph."""
        return f"/version/{version}/sparql"

    @staticmethod
    def split_suffix(path: str) -> tuple[str, str | None]:
        """``id/charta.ttl`` -> (``id/charta``, ``ttl``); a dot in a name is not a suffix."""
        head, dot, ext = path.rpartition(".")
        if dot and (ext in BY_SUFFIX or ext == "html") and "/" not in ext:
            return head, ext
        return path, None

    @staticmethod
    def alternates(path: str) -> str:
        """The ``Link`` header naming every format of a resource."""
        links = [
            f'</{path}.{f.suffix}>; rel="alternate"; type="{f.media_type}"' for f in RDF_FORMATS
        ]
        links.append(f'</{path}.html>; rel="alternate"; type="text/html"')
        return ", ".join(links)
