"""Parsers nobody here wrote read every answer: raptor's rapper, PyLD, owlready2 with HermiT."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
from importlib.metadata import version
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from server.web.views.representation import described
from tests.clients.conftest import REPORT, Site, missing, tool_version
from tests.conftest import NS

pytestmark = pytest.mark.clients

RAPPER = shutil.which("rapper")
#: rapper's parser per suffix; raptor has no JSON-LD parser (PyLD reads that).
RAPPER_FORMATS = {"ttl": "turtle", "nt": "ntriples", "rdf": "rdfxml"}


def rapper_count(data: bytes, parser: str, base: str) -> tuple[int, str]:
    """Triples rapper counts in strict mode (repeats counted), and what it said beyond that."""
    assert RAPPER is not None
    out = subprocess.run(
        [RAPPER, "-f", "strict", "-f", "noNet", "-f", "noFile", "-i", parser, "-c", "-", base],
        input=data,
        capture_output=True,
        timeout=60,
    )
    said = out.stderr.decode()
    found = re.search(r"Parsing returned (\d+) triples", said)
    noise = [
        line
        for line in said.splitlines()
        if not line.startswith(("rapper: Parsing file", "rapper: Parsing returned"))
    ]
    if out.returncode != 0 or found is None:
        noise.append(f"exit {out.returncode}")
    return (int(found.group(1)) if found else -1), "\n".join(noise)


def expected_triples(site: Site, path: str) -> int:
    """Distinct triples of the resource's representation, from the store itself."""
    with site.app.app_context():
        return len(set(described(site.app.extensions["charta"].store, NS + path.lstrip("/"))))


@pytest.fixture(scope="session")
def rapper() -> str:
    if RAPPER is None:
        missing("rapper is not installed (apt-get install raptor2-utils)")
    REPORT["rapper"] = tool_version([RAPPER, "--version"]) + " (raptor2-utils)"
    return RAPPER


@pytest.mark.parametrize("suffix", list(RAPPER_FORMATS))
def test_rapper_strict_parses_every_resource_with_the_stores_triple_count(
    rapper: str, site: Site, resources: list[str], suffix: str
) -> None:
    wrong = []
    for path in resources:
        count, noise = rapper_count(
            site.get(f"{path}.{suffix}"), RAPPER_FORMATS[suffix], site.url + path
        )
        want = expected_triples(site, path)
        if noise or count != want:
            wrong.append(f"{path}.{suffix}: {count} triples, store {want}; {noise}")
    assert wrong == []
    REPORT["rapper"] += f"; strict-parsed {len(resources)} resources as {suffix}"


def test_rapper_strict_parses_every_dump_with_the_stores_triple_count(
    rapper: str, site: Site
) -> None:
    total = len(set(site.app.extensions["charta"].store.triples()))
    names = [line.split("  ", 1)[1] for line in site.get("/dumps/SHA256SUMS").decode().splitlines()]
    parsed = []
    for name in names:
        data = site.get(f"/dumps/{name}")
        stem = name.removesuffix(".gz")
        if name.endswith(".gz"):
            data = gzip.decompress(data)
        suffix = stem.rsplit(".", 1)[1]
        if suffix == "jsonld":  # raptor reads no JSON-LD: PyLD's test below does
            continue
        count, noise = rapper_count(data, RAPPER_FORMATS[suffix], NS)
        assert (count, noise) == (total, ""), name
        parsed.append(name)
    assert len(parsed) >= 3
    REPORT["rapper"] += f"; dumps {', '.join(parsed)}: {total} triples each"


# ---------------------------------------------------------------- PyLD


@pytest.fixture(scope="session")
def pyld(site: Site):  # type: ignore[no-untyped-def]
    """PyLD, fetching remote contexts from this server only (no other network)."""
    from pyld import jsonld

    fetch = jsonld.requests_document_loader(timeout=30)

    def loader(url: str, options: dict | None = None) -> dict:
        if urlsplit(url).netloc != urlsplit(site.url).netloc:
            raise AssertionError(f"PyLD asked for {url}, not on this server")
        return fetch(url, options or {})

    jsonld.set_document_loader(loader)
    REPORT["PyLD"] = f"{version('PyLD')}"
    return jsonld


def _graph_of(jsonld, doc: object) -> rdflib.Graph:  # type: ignore[no-untyped-def]
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads"})
    return rdflib.Graph().parse(data=nquads, format="nt")


def test_pyld_expands_and_compacts_every_resource_to_its_turtle_graph(
    pyld, site: Site, resources: list[str]
) -> None:
    context_url = site.url + "/context.jsonld"
    published = json.loads(site.get("/context.jsonld"))
    assert "@context" in published
    wrong = []
    for path in resources:
        doc = json.loads(site.get(f"{path}.jsonld"))
        turtle = rdflib.Graph().parse(data=site.get(f"{path}.ttl"), format="turtle")
        expanded = pyld.expand(doc)
        compacted = pyld.compact(expanded, context_url)
        assert compacted["@context"] == context_url
        for name, form in (("expanded", expanded), ("compacted", compacted)):
            g = _graph_of(pyld, form)
            if not isomorphic(g, turtle):
                wrong.append(f"{path}: {name} has {len(g)} triples, Turtle {len(turtle)}")
    assert wrong == []
    REPORT["PyLD"] += (
        f": expanded and compacted (with {context_url.split('127.0.0.1')[0]}…/context.jsonld "
        f"fetched from the server) {len(resources)} resources, each isomorphic to its Turtle"
    )


def test_pyld_reads_the_jsonld_dump_as_the_store_holds_it(pyld, site: Site) -> None:
    doc = json.loads(site.get("/dumps/charta.jsonld"))
    g = _graph_of(pyld, pyld.expand(doc))
    store = site.app.extensions["charta"].store
    assert len(g) == len(set(store.triples()))
    REPORT["PyLD"] += f"; the JSON-LD dump: {len(g)} triples"


def _statements(data: bytes | str, fmt: ox.RdfFormat) -> list[str]:
    """Each triple as written, literals in their lexical form, blank nodes as ``_:``.

    pyoxigraph keeps a literal's lexical form as parsed (it does not normalise,
    unlike rdflib), so ``"…Z"`` and ``"…+00:00"`` stay two literals, as in RDF.
    """

    def term(t: object) -> str:
        return "_:" if isinstance(t, ox.BlankNode) else str(t)

    raw = data.encode() if isinstance(data, str) else data
    return sorted(
        f"{term(q.subject)} {term(q.predicate)} {term(q.object)}" for q in ox.parse(raw, format=fmt)
    )


def test_every_format_states_the_same_literals_as_the_store(
    pyld, site: Site, resources: list[str]
) -> None:
    """JSON-LD (read by PyLD's to_rdf, which keeps lexical forms), Turtle and N-Triples
    (read by pyoxigraph) state the same triples, literal for literal. rdflib wrote
    ``"2026-12-01T17:48:37Z"^^xsd:dateTime`` as ``+00:00`` in every JSON-LD answer, a
    second dcterms:issued for a client merging formats; the earlier PyLD test compared
    through rdflib, which normalises the same way, and could not see it."""
    wrong = []
    paths = [f"{p}.{{}}" for p in resources] + ["/dumps/charta.{}"]
    for path in paths:
        if path.startswith("/dumps/"):
            nt_bytes = gzip.decompress(site.get(path.format("nt.gz")))
        else:
            nt_bytes = site.get(path.format("nt"))
        nt = _statements(nt_bytes, ox.RdfFormat.N_TRIPLES)
        ttl = _statements(site.get(path.format("ttl")), ox.RdfFormat.TURTLE)
        doc = json.loads(site.get(path.format("jsonld")))
        nquads = pyld.to_rdf(doc, {"format": "application/n-quads"})
        from_jsonld = _statements(nquads, ox.RdfFormat.N_QUADS)
        if not (nt == ttl == from_jsonld):
            only = sorted(set(from_jsonld) ^ set(nt)) or sorted(set(ttl) ^ set(nt))
            wrong.append(f"{path.format('*')}: {only[:4]}")
    assert wrong == []
    REPORT["PyLD"] += (
        f"; to_rdf of {len(paths)} JSON-LD answers and dumps: every literal as in "
        "N-Triples and Turtle"
    )


# ---------------------------------------------------------------- owlready2 + HermiT


def test_owlready2_finds_every_term_and_hermit_finds_the_vocabulary_consistent(
    site: Site,
) -> None:
    if shutil.which("java") is None:
        missing("java is not installed (HermiT runs on it)")
    import owlready2

    world = owlready2.World()
    onto = world.get_ontology(site.url + "/ontology.rdf").load()
    assert onto.base_iri == NS + "ontology#"
    vocab = ox.parse(site.get("/ontology.nt"), format=ox.RdfFormat.N_TRIPLES)
    owl = "http://www.w3.org/2002/07/owl#"
    kinds = {
        owl + "Class": "classes",
        owl + "ObjectProperty": "properties",
        owl + "DatatypeProperty": "properties",
        owl + "AnnotationProperty": "properties",
    }
    terms: dict[str, str] = {}
    for q in vocab:
        s, o = q.subject, q.object
        if (
            q.predicate.value.endswith("#type")
            and o.value in kinds
            and s.value.startswith(NS + "ontology#")
        ):
            terms[s.value[len(NS + "ontology#") :]] = kinds[o.value]
    assert terms
    missing_terms = [name for name in sorted(terms) if getattr(onto, name, None) is None]
    assert missing_terms == []
    # HermiT reasons over the OWL 2 datatype map only; our identifier schemes
    # (rdfs:Datatype terms, issue 14) are outside it, so the ranges naming them
    # (which constrain literals only) are left out of its consistency check.
    schemes = {
        q.subject.value
        for q in ox.parse(site.get("/ontology.nt"), format=ox.RdfFormat.N_TRIPLES)
        if q.predicate.value.endswith("#type")
        and q.object.value == "http://www.w3.org/2000/01/rdf-schema#Datatype"
    }
    with onto:
        for prop in onto.data_properties():
            named = [getattr(r, "iri", None) or str(r) for r in prop.range]
            if any(n in schemes for n in named):
                prop.range = []
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []
    counts = {k: sum(1 for v in terms.values() if v == k) for k in ("classes", "properties")}
    REPORT["owlready2"] = (
        f"{version('owlready2')} with its HermiT on "
        f"{tool_version(['java', '-version'])}: loaded /ontology.rdf, found "
        f"{counts['classes']} classes and {counts['properties']} properties by name; consistent "
        f"(the ranges naming our {len(schemes)} identifier datatypes, outside OWL 2's map, left out)"
    )
