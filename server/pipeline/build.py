"""``charta build``: dumps, checksums, computed catalog statistics, sitemap, robots.txt.

Deterministic: triples are sorted before serialising and gzip carries no time
stamp, so the same data gives the same bytes. Which dumps exist is read from
the catalog data (``dcat:downloadURL`` under ``{ns}dumps/``), so the catalog and
the files cannot disagree. Statistics (byte sizes, checksums, VoID counts,
temporal coverage) are computed here from the data, never written by hand.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pyoxigraph as ox

from server.config import Config
from server.i18n import DEFAULT_LANG, LANGS
from server.pages.catalog import publication
from server.pages.materialised import SIDECAR, write_sidecar
from server.pages.releases import releases
from server.pipeline.backends import PERSISTED, checkout_store
from server.pipeline.search import SearchIndex
from server.pipeline.sources import Checkout
from server.rdf.formats import BY_SUFFIX, RdfFormat
from server.rdf.namespaces import DCAT, DCTERMS, FORMATS, RDF, VOID, XSD, all_prefixes
from server.rdf.serialize import value_of
from server.sparql import Store, StoreError
from server.sparql.persisted import StoreMeta, write_store_dir
from server.urls import Urls

DCT = DCTERMS
SPDX = "http://spdx.org/rdf/terms#"
RDF_TYPE = ox.NamedNode(str(RDF.type))
FORMATS_NS = FORMATS
#: The saved search index in a build folder; read by the server instead of rebuilding it.
SEARCH_FILE = "search.json"


class BuildError(Exception):
    """The catalog names a dump this build cannot produce."""


@dataclass(frozen=True)
class Dump:
    """One dump file and the distribution that describes it."""

    filename: str
    fmt: RdfFormat
    gzipped: bool
    distribution: str
    sha256: str
    size: int
    #: The bytes when built in memory; None when served from ``path`` (a build folder).
    data: bytes | None = None
    path: Path | None = None

    @classmethod
    def of(
        cls, filename: str, fmt: RdfFormat, gzipped: bool, distribution: str, data: bytes
    ) -> Dump:
        return cls(
            filename,
            fmt,
            gzipped,
            distribution,
            hashlib.sha256(data).hexdigest(),
            len(data),
            data=data,
        )

    @property
    def media_type(self) -> str:
        return "application/gzip" if self.gzipped else self.fmt.media_type

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


@dataclass
class Build:
    """Everything ``charta build`` writes, also used in memory by the server."""

    dumps: dict[str, Dump] = field(default_factory=dict)
    metadata: list[ox.Triple] = field(default_factory=list)
    triples: int = 0
    #: ``sitemap.xml``: the URL list, or above SITEMAP_MAX_URLS an index of the parts.
    sitemap: bytes = b""
    #: ``sitemap-1.xml``, ``sitemap-2.xml``, … when the index is used.
    sitemap_parts: list[bytes] = field(default_factory=list)
    robots: bytes = b""
    #: The search index (``SearchIndex.to_json``), when the build is written to disk.
    search: bytes | None = None

    def write(self, out: Path) -> list[Path]:
        """Write every file into ``out``; returns the paths written."""
        (out / "dumps").mkdir(parents=True, exist_ok=True)
        for old in out.glob("sitemap-*.xml"):  # parts of an earlier, larger build
            old.unlink()
        written = []
        for dump in self.dumps.values():
            written.append(out / "dumps" / dump.filename)
            written[-1].write_bytes(dump.read())
        sums = sums_text((d.filename, d.sha256) for d in self.dumps.values())
        files = {
            "dumps/SHA256SUMS": sums.encode(),
            "metadata.nt": ntriples(self.metadata),
            "sitemap.xml": self.sitemap,
            "robots.txt": self.robots,
        }
        for n, part in enumerate(self.sitemap_parts, start=1):
            files[f"sitemap-{n}.xml"] = part
        if self.search is not None:
            files[SEARCH_FILE] = self.search
        for name, data in files.items():
            (out / name).write_bytes(data)
            written.append(out / name)
        return written


def sums_text(digests: Iterable[tuple[str, str]]) -> str:
    """A ``SHA256SUMS`` file (sha256sum's format) of (name, digest) pairs, by name."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(digests))


def read_sums(path: Path) -> list[tuple[str, str]]:
    """(name, digest) per line of a ``SHA256SUMS`` file, in order; a line that is not
    ``digest  name`` gives name ``""`` and the whole line as digest."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        out.append((name, digest))
    return out


def sort_key(t: ox.Triple) -> str:
    return str(t)


def ntriples(triples: Iterable[ox.Triple]) -> bytes:
    """Sorted N-Triples: the canonical, diff-friendly form."""
    return b"".join(sorted(f"{t} .\n".encode() for t in triples))


#: Distributions whose download URL starts with ``?prefix``, in URL order.
DOWNLOADS = f"""SELECT ?d ?url WHERE {{
  #BINDINGS
  ?d <{DCAT}downloadURL> ?url FILTER(STRSTARTS(STR(?url), ?prefix)) }} ORDER BY ?url"""


def _dump_targets(store: Store, namespace: str) -> list[tuple[str, str]]:
    rows = store.select(DOWNLOADS, bindings={"prefix": ox.Literal(f"{namespace}dumps/")})
    return [(r["d"].value, r["url"].value[len(namespace) + len("dumps/") :]) for r in rows]


def format_of(filename: str) -> tuple[RdfFormat, bool]:
    name, gz = (filename[:-3], True) if filename.endswith(".gz") else (filename, False)
    suffix = name.rsplit(".", 1)[-1]
    if suffix not in BY_SUFFIX:
        raise BuildError(f"no RDF format for dump file {filename!r}")
    return BY_SUFFIX[suffix], gz


def literal(value: object, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))


def build(
    store: Store, namespace: str, base_url: str | None = None, root: Path | None = None
) -> Build:
    """Dumps of the store's triples plus the computed catalog and VoID statistics.

    ``root``: the checkout, whose ``releases/`` hold the frozen files the catalog's
    release distributions name; their sizes and checksums are computed here too.
    """
    triples = sorted(store.triples(), key=sort_key)
    prefixes = all_prefixes(namespace)
    result = Build(triples=len(triples))
    for dist, filename in _dump_targets(store, namespace):
        fmt, gz = format_of(filename)
        if fmt.suffix == "nt":
            data = ntriples(triples)
        else:  # pyoxigraph keeps input order, so sorted triples give the same bytes every time
            readable = {k: v for k, v in prefixes.items() if k != "id"}
            made = ox.serialize(triples, format=fmt.ox_format, prefixes=readable)
            assert made is not None  # no output file given: the bytes are returned
            data = made
        if gz:
            data = gzip.compress(data, compresslevel=9, mtime=0)
        result.dumps[filename] = Dump.of(filename, fmt, gz, dist, data)
    result.metadata = _metadata(store, namespace, triples, result, store.modified)
    if root is not None:
        result.metadata += _release_files(store, namespace, Path(root))
    site = (base_url or namespace).rstrip("/") + "/"
    result.sitemap, result.sitemap_parts = _sitemap(triples, namespace, site)
    result.robots = robots_txt(store, namespace, site)
    return result


def robots_txt(store: Store, namespace: str, site: str) -> bytes:
    """Everything may be crawled but the SPARQL endpoints (the site's and each release's).

    Plain prefixes only, no ``Allow`` and no wildcards, so every parser reads the
    same rules: with ``Allow: /`` before ``Disallow: /sparql?``, first-match
    parsers (Python's robotparser) let crawlers into ``/sparql?query=…`` while
    longest-match ones (RFC 9309, Google) kept them out; and robotparser reads
    ``/sparql?`` as ``/sparql``. ``Disallow: /sparql`` means the same to both:
    the editor and every query, not ``/search`` or the pages.
    """
    urls = Urls(namespace)
    lines = ["User-agent: *", "Disallow: /sparql"]
    series = publication(store).series
    found = releases(store, series) if series else []
    lines += [f"Disallow: {urls.release_endpoint(r.version)}" for r in found]
    lines.append(f"Sitemap: {site}sitemap.xml")
    return ("\n".join(lines) + "\n").encode()


def _metadata(
    store: Store, namespace: str, triples: list[ox.Triple], result: Build, modified: datetime
) -> list[ox.Triple]:
    """Distribution sizes and checksums, dataset coverage and VoID, as triples."""
    out: list[ox.Triple] = []
    nn = ox.NamedNode
    day = literal(modified.date().isoformat(), "date")

    def add(
        s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        out.append(ox.Triple(s, nn(p), o))

    for dump in result.dumps.values():
        dist = nn(dump.distribution)
        add(dist, DCAT + "byteSize", literal(dump.size, "nonNegativeInteger"))
        checksum = ox.BlankNode(f"checksum-{hashlib.sha1(dump.filename.encode()).hexdigest()[:12]}")
        add(dist, SPDX + "checksum", checksum)
        out.append(ox.Triple(checksum, RDF_TYPE, nn(SPDX + "Checksum")))
        add(checksum, SPDX + "algorithm", nn(SPDX + "checksumAlgorithm_sha256"))
        # As the SPDX vocabulary states; DCAT-AP.de checks the algorithm's class.
        out.append(
            ox.Triple(
                nn(SPDX + "checksumAlgorithm_sha256"), RDF_TYPE, nn(SPDX + "ChecksumAlgorithm")
            )
        )
        add(checksum, SPDX + "checksumValue", literal(dump.sha256, "hexBinary"))
        add(dist, DCT + "modified", day)

    datasets = [
        d
        for r in store.select(
            f"SELECT ?d WHERE {{\n  #BINDINGS\n  ?d a <{DCAT}Dataset> "
            "FILTER(STRSTARTS(STR(?d), ?prefix)) }",
            bindings={"prefix": ox.Literal(namespace)},
        )
        if isinstance(d := r["d"], ox.NamedNode)
    ]
    catalogs = [
        c
        for r in store.select(f"SELECT ?c WHERE {{ ?c a <{DCAT}Catalog> }}")
        if isinstance(c := r["c"], ox.NamedNode)
    ]
    for c in catalogs:
        add(c, DCT + "modified", day)
    dates = sorted(
        t.object.value
        for t in triples
        if t.predicate.value == DCT + "date"
        and isinstance(t.object, ox.Literal)
        and t.object.datatype is not None
        and t.object.datatype.value == XSD + "date"
    )
    # Coverage and VoID count the dumped triples: they describe the datasets the
    # dumps are distributions of, not a dataset with other distributions (the register's exports).
    dumped = {dump.distribution for dump in result.dumps.values()}
    with_dumps = {
        r["d"].value
        for r in store.select(f"SELECT ?d ?x WHERE {{ ?d <{DCAT}distribution> ?x }}")
        if r["x"].value in dumped
    }
    releases = namespace + "id/version/"  # Urls.release: frozen, issued once, never modified
    for d in datasets:
        if d.value.startswith(releases):
            continue
        add(d, DCT + "modified", day)
        if d.value not in with_dumps:
            continue
        if dates:
            period = ox.BlankNode("temporal-coverage")
            add(d, DCT + "temporal", period)
            out.append(ox.Triple(period, RDF_TYPE, nn(DCT + "PeriodOfTime")))
            add(period, DCAT + "startDate", literal(dates[0], "date"))
            add(period, DCAT + "endDate", literal(dates[-1], "date"))
        out.extend(void_statistics(d, namespace, triples, result))
    # Every checksum names the same algorithm, whose type was added once per dump.
    return list(dict.fromkeys(out))


def void_statistics(
    dataset: ox.NamedNode,
    namespace: str,
    triples: list[ox.Triple],
    result: Build,
    dumps_url: str | None = None,
    endpoint: str | None = None,
) -> list[ox.Triple]:
    """VoID statistics counted from the dumped triples.

    ``dumps_url`` and ``endpoint``: where this dataset's dumps and SPARQL endpoint are
    (a release has its own; the current data's are ``{ns}dumps/`` and ``{ns}sparql``).
    """
    dumps_url = dumps_url or f"{namespace}dumps/"
    endpoint = endpoint or f"{namespace}sparql"
    nn = ox.NamedNode
    out = [ox.Triple(dataset, RDF_TYPE, nn(VOID + "Dataset"))]

    def add(
        s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        out.append(ox.Triple(s, nn(p), o))

    entities = {
        t.subject.value
        for t in triples
        if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(namespace)
    }
    by_class: dict[str, set[str]] = {}
    by_property: Counter[str] = Counter()
    vocabularies: set[str] = set()
    for t in triples:
        by_property[t.predicate.value] += 1
        vocabularies.add(_vocabulary(t.predicate.value))
        if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            by_class.setdefault(t.object.value, set()).add(str(t.subject))
            vocabularies.add(_vocabulary(t.object.value))
    add(dataset, VOID + "uriSpace", ox.Literal(namespace))
    add(dataset, VOID + "sparqlEndpoint", nn(endpoint))
    # Where to start and what to look at first, as the data states them of its series
    # (data/katalog.ttl), so a release's description says the same of its state.
    series = {
        t.subject
        for t in triples
        if t.predicate == RDF_TYPE and t.object == nn(DCAT + "DatasetSeries")
    }
    for t in triples:
        if (
            t.subject in series
            and t.predicate.value in (VOID + "rootResource", VOID + "exampleResource")
            and isinstance(t.object, ox.NamedNode)
            and t.object.value in entities
        ):
            add(dataset, t.predicate.value, t.object)
    for dump in sorted(result.dumps.values(), key=lambda d: d.filename):
        add(dataset, VOID + "dataDump", nn(dumps_url + dump.filename))
        add(dataset, VOID + "feature", nn(FORMATS_NS + dump.fmt.w3c))
    own = namespace + "ontology#"  # our terms' namespace; the vocabulary's IRI is {ns}ontology
    for vocab in sorted({namespace + "ontology" if v == own else v for v in vocabularies}):
        add(dataset, VOID + "vocabulary", nn(vocab))
    add(dataset, VOID + "triples", literal(len(triples), "integer"))
    add(dataset, VOID + "entities", literal(len(entities), "integer"))
    add(
        dataset,
        VOID + "distinctSubjects",
        literal(len({str(t.subject) for t in triples}), "integer"),
    )
    add(
        dataset, VOID + "distinctObjects", literal(len({str(t.object) for t in triples}), "integer")
    )
    add(dataset, VOID + "properties", literal(len(by_property), "integer"))
    add(dataset, VOID + "classes", literal(len(by_class), "integer"))
    for cls in sorted(by_class):
        node = ox.BlankNode("class-" + hashlib.sha1(cls.encode()).hexdigest()[:12])
        add(dataset, VOID + "classPartition", node)
        add(node, VOID + "class", nn(cls))
        add(node, VOID + "entities", literal(len(by_class[cls]), "integer"))
    for prop in sorted(by_property):
        node = ox.BlankNode("property-" + hashlib.sha1(prop.encode()).hexdigest()[:12])
        add(dataset, VOID + "propertyPartition", node)
        add(node, VOID + "property", nn(prop))
        add(node, VOID + "triples", literal(by_property[prop], "integer"))
    return out


def _release_files(store: Store, namespace: str, root: Path) -> list[ox.Triple]:
    """Byte size and SHA-256 of each release file the catalog names, from the frozen files.

    Computed, not stated in ``release.ttl``: a store keeps ``xsd:nonNegativeInteger``
    (which DCAT-AP requires for ``dcat:byteSize``) as ``xsd:integer``, and the sums
    are in the release's ``SHA256SUMS`` already.
    """
    prefix = f"{namespace}releases/"
    rows = store.select(DOWNLOADS, bindings={"prefix": ox.Literal(prefix)})
    out: list[ox.Triple] = []
    nn = ox.NamedNode
    sums: dict[Path, dict[str, str]] = {}
    for r in rows:
        path = root / r["url"].value[len(namespace) :]
        if not path.is_file():
            raise BuildError(f"{path}: named by the catalog ({r['d'].value}) but missing")
        listed = sums.get(path.parent)
        if listed is None:
            listed = sums[path.parent] = dict(read_sums(path.parent / "SHA256SUMS"))
        dist = nn(r["d"].value)
        checksum = ox.BlankNode(f"release-{hashlib.sha1(r['url'].value.encode()).hexdigest()[:12]}")
        out += [
            ox.Triple(
                dist, nn(DCAT + "byteSize"), literal(path.stat().st_size, "nonNegativeInteger")
            ),
            ox.Triple(dist, nn(SPDX + "checksum"), checksum),
            ox.Triple(checksum, RDF_TYPE, nn(SPDX + "Checksum")),
            ox.Triple(checksum, nn(SPDX + "algorithm"), nn(SPDX + "checksumAlgorithm_sha256")),
            ox.Triple(
                checksum, nn(SPDX + "checksumValue"), literal(listed[path.name], "hexBinary")
            ),
        ]
    return out


def _vocabulary(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1]


#: The sitemap protocol's limit per file (search engines reject a larger one).
SITEMAP_MAX_URLS = 50_000
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _sitemap(
    triples: list[ox.Triple], namespace: str, site: str, max_urls: int | None = None
) -> tuple[bytes, list[bytes]]:
    """Every resource page plus the landing page, vocabulary, query editor and register.

    Up to ``max_urls`` URLs ``sitemap.xml`` lists them; beyond, it is a sitemap
    index of ``sitemap-1.xml``, ``sitemap-2.xml``, … with at most ``max_urls`` each
    (at 10^6 triples the data has 93,000 resources).
    """
    paths = sorted(
        {
            t.subject.value[len(namespace) :]
            for t in triples
            if isinstance(t.subject, ox.NamedNode)
            and t.subject.value.startswith(namespace + "id/")
            and "#" not in t.subject.value  # a part of its document, not a page of its own
        }
    )
    pages = ["", "ontology", "sparql", "register", *paths]
    # Each page once per language (``?lang=de``, ``?lang=en``), so each is indexed in its
    # own language; their alternates say which is which (Google's hreflang in sitemaps).
    urls = [(path, lang) for path in pages for lang in LANGS]
    max_urls = max_urls or SITEMAP_MAX_URLS
    if len(urls) <= max_urls:
        return _urlset(site, urls), []
    parts = [_urlset(site, urls[i : i + max_urls]) for i in range(0, len(urls), max_urls)]
    entries = "".join(
        f"<sitemap><loc>{escape(site)}sitemap-{n}.xml</loc></sitemap>\n"
        for n in range(1, len(parts) + 1)
    )
    index = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="{_SITEMAP_NS}">\n{entries}</sitemapindex>\n'
    )
    return index.encode(), parts


_XHTML_NS = "http://www.w3.org/1999/xhtml"


def _urlset(site: str, urls: list[tuple[str, str]]) -> bytes:
    """``<url>`` per page and language, each naming every language's page and the
    default (``x-default``) as ``xhtml:link`` alternates."""

    def url(path: str, lang: str) -> str:
        return escape(f"{site}{path}?lang={lang}")

    body = "".join(
        f"<url><loc>{url(path, lang)}</loc>"
        + "".join(
            f'<xhtml:link rel="alternate" hreflang="{other}" href="{url(path, other)}"/>'
            for other in LANGS
        )
        + f'<xhtml:link rel="alternate" hreflang="x-default" href="{url(path, DEFAULT_LANG)}"/>'
        + "</url>\n"
        for path, lang in urls
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_SITEMAP_NS}" '
        f'xmlns:xhtml="{_XHTML_NS}">\n{body}</urlset>\n'
    ).encode()


def load_build(out: Path) -> Build:
    """Read what ``charta build --out`` wrote, so the server need not rebuild at start-up."""
    out = Path(out)
    result = Build()
    metadata = (out / "metadata.nt").read_bytes()
    result.metadata = [q.triple for q in ox.parse(metadata, format=ox.RdfFormat.N_TRIPLES)]
    dists, sizes = {}, {}
    for t in result.metadata:  # the distribution of each dump is named by its checksum
        if t.predicate.value == SPDX + "checksum":
            dists[value_of(t.object)] = value_of(t.subject)
        elif t.predicate.value == DCAT + "byteSize":
            sizes[value_of(t.subject)] = int(value_of(t.object))
    for filename, digest in read_sums(out / "dumps" / "SHA256SUMS"):
        fmt, gz = format_of(filename)
        node = f"checksum-{hashlib.sha1(filename.encode()).hexdigest()[:12]}"
        path = out / "dumps" / filename
        # Files stay on disk and are streamed; hashing a million-triple build at
        # every start would cost seconds, so the cheap check is the size the
        # build recorded. SHA256SUMS is there for anyone who wants the full check.
        dist = dists.get(node, "")
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise BuildError(f"{path}: missing from the build: {exc.strerror}") from exc
        if dist in sizes and sizes[dist] != size:
            raise BuildError(
                f"{path}: size {size} does not match the build's metadata ({sizes[dist]}); "
                "rebuild with 'charta build'"
            )
        result.dumps[filename] = Dump(filename, fmt, gz, dist, digest, size, path=path)
    result.sitemap = (out / "sitemap.xml").read_bytes()
    n = 1
    while (out / f"sitemap-{n}.xml").is_file():
        result.sitemap_parts.append((out / f"sitemap-{n}.xml").read_bytes())
        n += 1
    result.robots = (out / "robots.txt").read_bytes()
    return result


def persist(config: Config, out: Path) -> StoreMeta:
    """Write the checkout's persisted store to ``out`` and, beside it, every resource's
    description of the same data version: read with one lookup on a first touch
    instead of a CONSTRUCT (server/pages/materialised.py)."""

    def descriptions(store: ox.Store, version: str, folder: Path) -> None:
        write_sidecar(store, config.namespace, version, folder / SIDECAR)

    return write_store_dir(Checkout.of(config), config.namespace, out, beside=descriptions)


def build_site(config: Config, store_dir: Path | None = None) -> Build:
    """What ``charta build`` makes, from the checkout the config names: the persisted
    store (when ``store_dir`` is given), the dumps, statistics and the search index.

    The one recipe: the CLI and the benchmarks both call it, so they cannot drift.
    Validation is the caller's (it decides how to report violations).
    """
    if store_dir is None:
        store: Store = checkout_store(config, workers=1)
    else:
        persist(config, store_dir)
        store = PERSISTED.open(dataclasses.replace(config, query_workers=1, store_dir=store_dir))
    result = build(store, config.namespace, config.public_url, config.root)
    try:
        result.search = SearchIndex(store, config.namespace).to_json()
    except StoreError as exc:  # a search.json of part of the data would be a quiet lie
        raise BuildError(f"search.json not written: {exc}") from exc
    return result
