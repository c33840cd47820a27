"""Releases: frozen, citable states of the data, and what changed between them.

``charta release VERSION`` writes ``releases/<VERSION>/`` into the checkout, to be
committed with it:

- ``dumps/``: the data as it is now in every format the catalog offers, plus
  ``charta.nt`` (sorted N-Triples, the state a release's graph is loaded from),
  and ``SHA256SUMS``;
- ``aenderungen.rdfp`` (RDF Patch) and ``aenderungen.trig`` (the added and the
  removed triples as two named graphs): the difference to the previous release;
- ``release.ttl``: the release as a ``dcat:Dataset`` in the series
  ``id/datensatz/charta``, with version, date, notes, previous version, its own
  distributions and VoID statistics. It is a source like ``data/``: validated by
  the same shapes and served with the data. (Sizes and checksums of the files are
  computed by the build from the files themselves and SHA256SUMS.)

Nothing in a release folder is written again: later changes to ``data/`` change
the current state and the next release, never a past one. The files are kept in
the repository (not the build folder) because a build folder is thrown away and
rebuilt, and a release must stay byte-identical for as long as it is cited.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from server.config import Config
from server.pages.catalog import name_of, publication
from server.pipeline.backends import checkout_store
from server.pipeline.build import (
    SPDX,
    Build,
    Dump,
    build,
    format_of,
    literal,
    read_sums,
    sums_text,
    void_statistics,
)
from server.pipeline.sources import RELEASE_DESCRIPTION, RELEASE_DUMP
from server.rdf.labels import (
    LabelIndex,
    format_literal,
    local_name,
    standard_label,
    value_label,
)
from server.rdf.namespaces import ADMS, DCAT, DCATAP, DCATDE, DCTERMS, RDF, SKOS, VOID, all_prefixes
from server.rdf.serialize import value_of
from server.sparql import Store
from server.urls import Urls

RELEASES_DIR = "releases"
#: A version names a folder and a path segment: digits and dots, an optional suffix.
VERSION = re.compile(r"^[0-9]+(?:\.[0-9]+){0,3}(?:-[0-9A-Za-z][0-9A-Za-z.-]{0,31})?$")
#: The series every release belongs to (data/katalog.ttl) and the catalog listing it.
PATCH_FILE = "aenderungen.rdfp"
CHANGES_FILE = "aenderungen.trig"


class ReleaseError(Exception):
    """A release that cannot be made or read; ``str()`` says why."""


@dataclass(frozen=True)
class Release:
    """One release as its ``release.ttl`` states it."""

    version: str
    iri: str
    issued: datetime
    notes: str
    previous: str | None
    folder: Path

    @property
    def dump(self) -> Path:
        return self.folder / RELEASE_DUMP


def _literal(store: ox.Store, s: ox.NamedNode, p: str) -> str | None:
    for q in store.quads_for_pattern(s, ox.NamedNode(p), None):
        return value_of(q.object)
    return None


def release_folders(root: Path) -> list[Path]:
    """The folders of finished releases, by name: ``releases/<v>/``.

    Not a hidden one: ``charta release`` writes ``releases/.<v>.making-<pid>/``
    and renames it when done, so one killed before that leaves an unfinished
    folder, which is never a release (``check_releases`` reports it).
    """
    folder = Path(root) / RELEASES_DIR
    if not folder.is_dir():
        return []
    return sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))


def read_releases(root: Path, namespace: str) -> list[Release]:
    """Every release of the checkout, oldest first (by date of issue)."""
    folder = Path(root) / RELEASES_DIR
    if not folder.is_dir():
        return []
    urls = Urls(namespace)
    found = []
    for d in release_folders(root):
        desc = d / RELEASE_DESCRIPTION
        if not desc.is_file():
            continue
        store = ox.Store()
        store.bulk_load(path=str(desc), format=ox.RdfFormat.TURTLE, base_iri=namespace)
        iri = ox.NamedNode(urls.release(d.name))
        issued = _literal(store, iri, DCTERMS + "issued")
        if issued is None:
            raise ReleaseError(f"{desc}: no dcterms:issued for <{iri.value}>")
        previous = next(
            (
                value_of(q.object)
                for q in store.quads_for_pattern(iri, ox.NamedNode(DCAT + "previousVersion"), None)
            ),
            None,
        )
        found.append(
            Release(
                version=d.name,
                iri=iri.value,
                issued=datetime.fromisoformat(issued.replace("Z", "+00:00")),
                notes=_literal(store, iri, ADMS + "versionNotes") or "",
                previous=previous,
                folder=d,
            )
        )
    return sorted(found, key=lambda r: (r.issued, r.version))


@dataclass(frozen=True)
class Change:
    """The triples one release added and removed, against the one before."""

    added: list[ox.Triple]
    removed: list[ox.Triple]

    def by_resource(self) -> dict[str, tuple[list[ox.Triple], list[ox.Triple]]]:
        """(added, removed) per subject IRI, subjects in order."""
        out: dict[str, tuple[list[ox.Triple], list[ox.Triple]]] = {}
        for t in self.added:
            out.setdefault(value_of(t.subject), ([], []))[0].append(t)
        for t in self.removed:
            out.setdefault(value_of(t.subject), ([], []))[1].append(t)
        return dict(sorted(out.items()))


def _triples(nt: bytes) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)}


def difference(old: bytes | None, new: bytes) -> Change:
    """What ``new`` (N-Triples) adds to and removes from ``old`` (None: the first release).

    Our data has no blank nodes (the shapes give every resource an IRI), so a
    triple is the same triple in both states exactly when its text is.
    """
    before = _triples(old) if old is not None else set()
    after = _triples(new)
    return Change(sorted(after - before, key=str), sorted(before - after, key=str))


def read_change(folder: Path) -> Change:
    """The difference stored in a release's folder (its ``aenderungen.rdfp``), in its order."""
    lines: dict[str, list[str]] = {"A": [], "D": []}
    for line in (folder / PATCH_FILE).read_text(encoding="utf-8").splitlines():
        op, _, rest = line.partition(" ")
        if op in lines:
            lines[op].append(rest)

    def parsed(op: str) -> list[ox.Triple]:  # one parse for all lines, not one per line
        text = "\n".join(lines[op]).encode()
        return [q.triple for q in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]

    return Change(parsed("A"), parsed("D"))


def rdf_patch(change: Change, release_iri: str, previous: str | None) -> bytes:
    """The change as an RDF Patch (https://afs.github.io/rdf-patch/): D lines, then A lines."""
    lines = [f"H id <{release_iri}> ."]
    if previous is not None:
        lines.append(f"H prev <{previous}> .")
    lines.append("TX .")
    lines += [f"D {t} ." for t in change.removed]
    lines += [f"A {t} ." for t in change.added]
    lines.append("TC .")
    return ("\n".join(lines) + "\n").encode()


def change_graphs(change: Change, release_iri: str) -> bytes:
    """The change as TriG: ``<release#hinzugefuegt>`` and ``<release#entfernt>``."""
    added = ox.NamedNode(release_iri + "#hinzugefuegt")
    quads = [ox.Quad(t.subject, t.predicate, t.object, added) for t in change.added]
    removed = ox.NamedNode(release_iri + "#entfernt")
    quads += [ox.Quad(t.subject, t.predicate, t.object, removed) for t in change.removed]
    made = ox.serialize(quads, format=ox.RdfFormat.TRIG)
    assert made is not None
    return made


# -- making a release ---------------------------------------------------------------------


def make_release(
    config: Config,
    version: str,
    notes: str,
    now: datetime | None = None,
    by: Mapping[str, str] | None = None,
) -> Release:
    """Freeze the checkout's current data as ``releases/<version>/`` (see the module doc).

    ``by``: how its citation names the publisher, per language (the profile's short
    name); else the publisher's name as the data states it.
    The caller has validated the data (``charta release`` refuses violations);
    this refuses a version that is malformed or exists. The folder is written
    under a temporary name and renamed into place, so an interrupted release
    leaves no half of one.
    """

    if not VERSION.match(version):
        raise ReleaseError(
            f"version {version!r}: use digits and dots with an optional suffix (1.0, 2.1.0-rc1)"
        )
    root = Path(config.root)
    folder = root / RELEASES_DIR / version
    if folder.exists():
        raise ReleaseError(f"{folder}: release {version} exists; releases are never replaced")
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    earlier = read_releases(root, config.namespace)
    if earlier and now <= earlier[-1].issued:
        raise ReleaseError(
            f"release {earlier[-1].version} was issued {earlier[-1].issued.isoformat()}, "
            "not before now; check the clock"
        )
    previous = earlier[-1] if earlier else None
    # The checkout's sources, parsed now (never a persisted store, which may be older).
    store = checkout_store(config)
    built = build(store, config.namespace)
    dump = next(d for d in built.dumps.values() if d.fmt.suffix == "nt")
    nt = gzip.decompress(dump.read()) if dump.gzipped else dump.read()
    urls = Urls(config.namespace)
    iri = urls.release(version)
    change = difference(previous.dump.read_bytes() if previous else None, nt)

    tmp = folder.with_name(f".{version}.making-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "dumps").mkdir(parents=True)
    try:
        files: dict[str, bytes] = {d.filename: d.read() for d in built.dumps.values()}
        files["charta.nt"] = nt
        for name, data in files.items():
            (tmp / "dumps" / name).write_bytes(data)
        sums = sums_text((n, hashlib.sha256(data).hexdigest()) for n, data in files.items())
        (tmp / "dumps" / "SHA256SUMS").write_text(sums, encoding="utf-8")
        (tmp / PATCH_FILE).write_bytes(rdf_patch(change, iri, previous.iri if previous else None))
        (tmp / CHANGES_FILE).write_bytes(change_graphs(change, iri))
        triples = [q.triple for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)]
        description = _description(
            store, config.namespace, version, now, notes, previous, files, triples, by
        )
        (tmp / RELEASE_DESCRIPTION).write_bytes(description)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Release(version, iri, now, notes, previous.iri if previous else None, folder)


_FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
_MEDIA = "https://www.iana.org/assignments/media-types/"
_LICENCE = "http://dcat-ap.de/def/licenses/cc-by/4.0"
_AVAILABLE = "http://publications.europa.eu/resource/authority/planned-availability/AVAILABLE"


#: What a release states as its series does (data/katalog.ttl): who publishes it, where,
#: in which languages, under which access rights and vocabulary.
INHERITED = tuple(
    str(p)
    for p in (
        DCTERMS.publisher,
        DCTERMS.creator,
        DCAT.contactPoint,
        DCTERMS.accessRights,
        DCATAP.availability,
        DCTERMS.spatial,
        DCATDE.politicalGeocodingLevelURI,
        DCTERMS.language,
        DCTERMS.conformsTo,
        DCAT.theme,
        DCAT.keyword,
    )
)


def _description(
    store: Store,
    namespace: str,
    version: str,
    issued: datetime,
    notes: str,
    previous: Release | None,
    files: dict[str, bytes],
    triples: list[ox.Triple],
    by: Mapping[str, str] | None = None,
) -> bytes:
    """``release.ttl``: the release in the catalog, with its own distributions and VoID."""
    rel = ox.NamedNode(Urls(namespace).release(version))
    out = _dataset(store, namespace, rel, version, issued, notes, previous, by)
    out += _distributions(rel, namespace, version, issued, files)
    out += _counts(rel, namespace, version, files, triples)
    return _turtle(out, namespace)


#: Per language: the word for a release, and the sentence describing one.
RELEASE_TEXTS = {
    "de": (
        "Version",
        "Der Wissensgraph im Stand vom {day} (Version {version}), unveränderlich: "
        "Abzüge, SPARQL-Endpunkt und Seiten dieses Stands bleiben unter ihren Adressen.",
    ),
    "en": (
        "release",
        "The knowledge graph as of {day} (release {version}), immutable: dumps, "
        "SPARQL endpoint and pages of this state stay at their addresses.",
    ),
}


def _publisher_name(store: Store, series: str, lang: str) -> str:
    """The series' publisher by its name in ``lang`` as the data states it (its short
    name, skos:altLabel, where it has one), as a citation names its author."""
    rows = store.select(
        "SELECT ?p WHERE {\n  #BINDINGS\n  ?s <http://purl.org/dc/terms/publisher> ?p }",
        bindings={"s": ox.NamedNode(series)},
    )
    names = [name_of(store, r["p"].value, lang, short=True) for r in rows]
    return next((n for n in names if n), "")


def _stamp(issued: datetime) -> ox.Literal:
    return literal(issued.strftime("%Y-%m-%dT%H:%M:%SZ"), "dateTime")


def _dataset(
    store: Store,
    namespace: str,
    rel: ox.NamedNode,
    version: str,
    issued: datetime,
    notes: str,
    previous: Release | None,
    by: Mapping[str, str] | None = None,
) -> list[ox.Triple]:
    """The release as a dcat:Dataset in the series; what the series states of itself
    (publisher, coverage, languages, …) it states too, read from the data."""
    nn = ox.NamedNode
    found = publication(store)
    if found.catalog is None or found.series is None:
        raise ReleaseError("the data states no catalog with a dataset series (dcat:DatasetSeries)")
    series = nn(found.series)
    day = issued.date().isoformat()
    out = [
        ox.Triple(nn(found.catalog), nn(DCAT + "dataset"), rel),
        ox.Triple(series, nn(DCAT + "hasVersion"), rel),
        ox.Triple(rel, nn(RDF + "type"), nn(DCAT + "Dataset")),
        ox.Triple(rel, nn(DCAT + "inSeries"), series),
        ox.Triple(rel, nn(DCTERMS + "isVersionOf"), series),
        ox.Triple(rel, nn(DCAT + "version"), ox.Literal(version)),
        ox.Triple(rel, nn(DCTERMS + "issued"), _stamp(issued)),
        ox.Triple(rel, nn(DCAT + "landingPage"), rel),
    ]
    texts = {}
    for lang, (release, described) in RELEASE_TEXTS.items():
        name = name_of(store, found.series, lang)
        if name is None:
            continue  # a language the data does not name the series in
        author = (by or {}).get(lang) or _publisher_name(store, found.series, lang)
        texts[lang] = (
            f"{name}, {release} {version}",
            described.format(day=day, version=version),
            f"{author} ({issued.year}): {name}, {release} {version}, {day}. {rel.value}",
        )
    for lang, (title, desc, cite) in texts.items():
        for p, text in (
            (SKOS + "prefLabel", title),
            (DCTERMS + "title", title),
            (DCTERMS + "description", desc),
            (DCTERMS + "bibliographicCitation", cite),
        ):
            out.append(ox.Triple(rel, nn(p), ox.Literal(text, language=lang)))
    if notes:
        out.append(ox.Triple(rel, nn(ADMS + "versionNotes"), ox.Literal(notes)))
    if previous is not None:
        out.append(ox.Triple(rel, nn(DCAT + "previousVersion"), nn(previous.iri)))
        out.append(ox.Triple(rel, nn(DCAT + "prev"), nn(previous.iri)))
    values = ", ".join(f"<{p}>" for p in INHERITED)
    for row in store.select(
        f"SELECT ?p ?o WHERE {{\n  #BINDINGS\n  ?s ?p ?o FILTER(?p IN ({values})) }}",
        bindings={"s": series},
    ):
        predicate = row["p"]
        assert isinstance(predicate, ox.NamedNode)
        out.append(ox.Triple(rel, predicate, row["o"]))
    return out


def _distributions(
    rel: ox.NamedNode, namespace: str, version: str, issued: datetime, files: dict[str, bytes]
) -> list[ox.Triple]:
    """One dcat:Distribution per frozen file. Byte size and checksum are computed by
    'charta build' from the file and SHA256SUMS (a store would keep the size as
    xsd:integer, not the type DCAT-AP requires)."""
    nn = ox.NamedNode
    base = f"{namespace}{RELEASES_DIR}/{version}/dumps/"
    out: list[ox.Triple] = []
    for name in sorted(files):
        gz = name.endswith(".gz")
        fmt, _ = format_of(name)  # its distribution is named by the format's name
        local, filetype, media = fmt.name, fmt.file_type, fmt.media_type
        dist = nn(f"{rel.value}/distribution/{local}{'-gzip' if gz else ''}")
        label = ox.Literal(f"{name}, Version {version}", language="de")
        out.append(ox.Triple(rel, nn(DCAT + "distribution"), dist))
        for p, o in (
            (RDF + "type", nn(DCAT + "Distribution")),
            (SKOS + "prefLabel", label),
            (DCTERMS + "title", label),
            (DCAT + "accessURL", nn(base + name)),
            (DCAT + "downloadURL", nn(base + name)),
            (DCTERMS + "format", nn(_FILE_TYPES + filetype)),
            (DCAT + "mediaType", nn(_MEDIA + media)),
            (DCTERMS + "license", nn(_LICENCE)),
            (str(DCATAP.availability), nn(_AVAILABLE)),
            (DCTERMS + "issued", _stamp(issued)),
        ):
            out.append(ox.Triple(dist, nn(p), o))
        if gz:
            out.append(
                ox.Triple(dist, nn(DCAT + "compressFormat"), nn(_MEDIA + "application/gzip"))
            )
    return out


def _counts(
    rel: ox.NamedNode,
    namespace: str,
    version: str,
    files: dict[str, bytes],
    triples: list[ox.Triple],
) -> list[ox.Triple]:
    """The release's VoID, counted from its dump, without the class and property
    partitions: those are blank nodes, which get new labels at every parse, so every
    later release would list them as changed (and the same data would no longer give
    the same dump bytes)."""
    dumps = Build(dumps={n: Dump.of(n, *format_of(n), "", b"") for n in files})
    base = f"{namespace}{RELEASES_DIR}/{version}/dumps/"
    endpoint = Urls(namespace).absolute(f"version/{version}/sparql")
    partitions = {VOID + "classPartition", VOID + "propertyPartition"}
    return [
        t
        for t in void_statistics(rel, namespace, triples, dumps, base, endpoint)
        if isinstance(t.subject, ox.NamedNode) and t.predicate.value not in partitions
    ]


def _turtle(triples: Iterable[ox.Triple], namespace: str) -> bytes:
    """Turtle with IRIs of the namespace relative (``<id/version/1.0>``), as data/ is written,
    so the release reads the same under another namespace."""
    prefixes = {k: v for k, v in all_prefixes(namespace).items() if k not in ("id", "")}
    prefixes["spdx"] = SPDX
    prefixes["adms"] = ADMS
    body = ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    assert body is not None
    text = body.decode().replace(f"<{namespace}", "<")  # read against the namespace, as data/
    return ("# Written by 'charta release'; never edit (the release is frozen).\n" + text).encode()


# -- the change, for people ------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One added or removed statement as a page shows it."""

    property: str
    value: str
    #: A local link for an IRI value, else None.
    href: str | None


@dataclass(frozen=True)
class ChangedResource:
    iri: str
    label: str
    added: list[Statement]
    removed: list[Statement]


#: Resources one change page lists; the patch (and the TriG) always hold everything.
MAX_LISTED = 500


def change_summary(
    root: Path,
    namespace: str,
    version: str,
    previous: str | None,
    lang: str,
    link: Callable[[str], str],
    supers: dict[str, set[str]] | None = None,
) -> tuple[list[ChangedResource], int]:
    """The change release ``version`` made after ``previous`` (its IRI, as the catalog
    states it), grouped by resource, with labels; and how many resources.

    Labels come from the release's state and the one before, so a removed
    resource is still named. The data states a fact with our property and its
    standard super-property (``supers``, rdfs:subPropertyOf): the page lists the
    change once, under ours; the patch holds both.
    """
    folders = [Path(root) / RELEASES_DIR / version]
    if previous is not None:
        folders.append(
            Path(root) / RELEASES_DIR / previous.removeprefix(Urls(namespace).release(""))
        )
    if not (folders[0] / PATCH_FILE).is_file():  # listed by the store, not in this checkout
        return [], 0
    change = read_change(folders[0])
    dumps = [f / RELEASE_DUMP for f in folders if (f / RELEASE_DUMP).is_file()]
    labels = LabelIndex.of([t for dump in dumps for t in _triples(dump.read_bytes())])

    def name(iri: str) -> str:
        return (
            labels.get(iri, lang)
            or standard_label(iri, lang)
            or value_label(iri, lang)
            or local_name(iri)
            or iri
        )

    def statement(t: ox.Triple) -> Statement:
        o = t.object
        if isinstance(o, ox.Literal):
            text = format_literal(o, lang)
            text = text if len(text) <= 300 else text[:300] + " …"
            return Statement(name(t.predicate.value), text, None)
        value = value_of(o)
        return Statement(name(t.predicate.value), name(value), link(value))

    # Each release's own description (release.ttl) enters the data with the next
    # one; the page leaves that bookkeeping out (the patch holds it).
    releases_prefix = Urls(namespace).release("")
    grouped = {
        iri: (
            [t for t in added if not value_of(t.object).startswith(releases_prefix)],
            [t for t in removed if not value_of(t.object).startswith(releases_prefix)],
        )
        for iri, (added, removed) in change.by_resource().items()
        if not iri.startswith(releases_prefix)
    }
    grouped = {
        iri: (_once(added, supers or {}), _once(removed, supers or {}))
        for iri, (added, removed) in grouped.items()
        if added or removed
    }
    out = [
        ChangedResource(
            iri,
            name(iri),
            [statement(t) for t in added],
            [statement(t) for t in removed],
        )
        for iri, (added, removed) in list(grouped.items())[:MAX_LISTED]
    ]
    return out, len(grouped)


def _once(triples: list[ox.Triple], supers: dict[str, set[str]]) -> list[ox.Triple]:
    """Leave out a statement that only repeats another with a sub-property of its property
    ("status: beschlossen" beside "Stand des Beitritts: beschlossen")."""
    covered = {(sup, t.object) for t in triples for sup in supers.get(t.predicate.value, ())}
    return [t for t in triples if (t.predicate.value, t.object) not in covered]


# -- integrity -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Damage:
    """A release file that is not what its release says: missing, changed or unlisted."""

    file: Path
    de: str
    en: str
    #: "Violation" (the release is damaged) or "Warning" (left-overs that are no release).
    severity: str = "Violation"


def check_releases(root: Path) -> list[Damage]:
    """Every file of every release against its ``SHA256SUMS``: a release is frozen, so any
    difference is damage (an edit, a bad checkout), never a change to publish."""
    folder = Path(root) / RELEASES_DIR
    if not folder.is_dir():
        return []
    found: list[Damage] = [
        Damage(
            d,
            "unfertige Version: 'charta release' wurde vor dem Ende abgebrochen; der Ordner "
            "wird nicht gelesen und nicht ausgeliefert. Löschen und 'charta release' neu starten.",
            "unfinished release: 'charta release' was stopped before it ended; the folder is "
            "neither read nor served. Delete it and run 'charta release' again.",
            "Warning",
        )
        for d in sorted(folder.iterdir())
        if d.is_dir() and d.name.startswith(".") and ".making-" in d.name
    ]
    for d in release_folders(root):
        sums = d / "dumps" / "SHA256SUMS"
        required = [d / RELEASE_DESCRIPTION, d / RELEASE_DUMP, sums, d / PATCH_FILE]
        for path in required:
            if not path.is_file():
                found.append(
                    Damage(path, "Datei der Version fehlt.", "file of the release is missing.")
                )
        if not sums.is_file():
            continue
        lines = read_sums(sums)
        listed = {name for name, _ in lines} | {sums.name}
        for path in sorted((d / "dumps").iterdir()):
            if path.name not in listed:
                found.append(
                    Damage(
                        path,
                        "nicht in SHA256SUMS: keine Datei dieser Version.",
                        "not in SHA256SUMS: not a file of this release.",
                    )
                )
        for n, (name, digest) in enumerate(lines, start=1):
            path = d / "dumps" / name
            if not name or not path.is_file():
                found.append(
                    Damage(
                        sums,
                        f"Zeile {n}: {name or digest!r} fehlt.",
                        f"line {n}: {name or digest!r} is missing.",
                    )
                )
            elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                found.append(
                    Damage(
                        path,
                        "verändert: die Prüfsumme stimmt nicht mit SHA256SUMS überein; "
                        "eine Version wird nie geändert (git checkout stellt sie wieder her).",
                        "changed: its checksum differs from SHA256SUMS; a release is never "
                        "changed (git checkout restores it).",
                    )
                )
    return found
