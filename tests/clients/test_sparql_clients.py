"""SPARQL clients nobody here wrote, each query form in every return format they offer.

SPARQLWrapper (the client most Python notebooks use) and rdflib's SPARQLStore
(a Graph whose store is our endpoint), with GET and POST.
"""

from __future__ import annotations

from importlib.metadata import version

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from tests.clients.conftest import REPORT, Site
from tests.conftest import NS

pytestmark = pytest.mark.clients

CHARTA = f"<{NS}id/charta>"
SELECT = f"SELECT ?p ?o WHERE {{ {CHARTA} ?p ?o }} ORDER BY ?p ?o"
ASK = f"ASK {{ {CHARTA} ?p ?o }}"
CONSTRUCT = f"CONSTRUCT {{ {CHARTA} ?p ?o }} WHERE {{ {CHARTA} ?p ?o }}"
DESCRIBE = f"DESCRIBE {CHARTA}"
#: The return formats SPARQLWrapper offers per query form (its _getAcceptHeader).
WRAPPER_FORMATS = {
    "SELECT": (JSON, XML, CSV, TSV),
    "ASK": (JSON, XML, CSV, TSV),
    "CONSTRUCT": (TURTLE, N3, XML, RDFXML, JSONLD),
    "DESCRIBE": (TURTLE, N3, XML, RDFXML, JSONLD),
}
#: rdflib's SPARQLStore returnFormat values (its result parsers).
STORE_FORMATS = ("xml", "json", "csv", "tsv")


@pytest.fixture(scope="session")
def statements(site: Site) -> int:
    """How many statements the Charta has, as the store counts them."""
    rows = site.app.extensions["charta"].store.select(SELECT)
    assert rows
    return len(rows)


def _wrapper(site: Site, query: str, fmt: str, method: str) -> object:
    sw = SPARQLWrapper(site.url + "/sparql")
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    return sw.query().convert()


def _rows_in(result: object, fmt: str) -> int:
    """Rows of a converted SELECT answer, whatever its format."""
    if fmt == JSON:
        return len(result["results"]["bindings"])  # type: ignore[index]
    if fmt == XML:
        return len(result.getElementsByTagName("result"))  # type: ignore[attr-defined]
    text = result.decode() if isinstance(result, bytes) else str(result)
    return len(text.strip().splitlines()) - 1  # a header line, then one line per row


def _boolean_in(result: object, fmt: str) -> bool:
    if fmt == JSON:
        return result["boolean"]  # type: ignore[index]
    if fmt == XML:
        return result.getElementsByTagName("boolean")[0].firstChild.data == "true"  # type: ignore[attr-defined]
    text = result.decode() if isinstance(result, bytes) else str(result)
    return text.strip().splitlines()[-1].strip().lower() in ("true", "1")


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    ("form", "fmt"), [(form, fmt) for form, fmts in WRAPPER_FORMATS.items() for fmt in fmts]
)
def test_sparqlwrapper(site: Site, statements: int, form: str, fmt: str, method: str) -> None:
    query = {"SELECT": SELECT, "ASK": ASK, "CONSTRUCT": CONSTRUCT, "DESCRIBE": DESCRIBE}[form]
    result = _wrapper(site, query, fmt, method)
    if form == "SELECT":
        assert _rows_in(result, fmt) == statements
    elif form == "ASK":
        assert _boolean_in(result, fmt) is True
    else:
        graph = result if isinstance(result, rdflib.Graph) else rdflib.Graph()
        if not isinstance(result, rdflib.Graph):  # JSON-LD and some others come as bytes
            graph.parse(data=result, format="json-ld" if fmt == JSONLD else "turtle")
        subjects = {str(s) for s in graph.subjects()}
        assert f"{NS}id/charta" in subjects
        if form == "CONSTRUCT":
            assert len(graph) == statements
    REPORT["SPARQLWrapper"] = (
        f"{version('SPARQLWrapper')}: SELECT/ASK in JSON, XML, CSV, TSV and CONSTRUCT/DESCRIBE "
        "in Turtle, N3, XML, RDF/XML, JSON-LD, by GET and POST"
    )


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
@pytest.mark.parametrize("fmt", STORE_FORMATS)
def test_rdflib_sparqlstore(site: Site, statements: int, fmt: str, method: str) -> None:
    store = SPARQLStore(site.url + "/sparql", returnFormat=fmt, method=method)
    graph = rdflib.Graph(store=store)
    rows = list(graph.query(SELECT))
    assert len(rows) == statements
    if fmt in ("xml", "json"):
        # CSV and TSV define no form for a boolean (W3C SPARQL 1.1 CSV/TSV);
        # rdflib's CSV and TSV parsers read tables only, so ASK is asked in XML and JSON.
        assert graph.query(ASK).askAnswer is True
    constructed = graph.query(CONSTRUCT).graph
    assert constructed is not None and len(constructed) == statements
    described = graph.query(DESCRIBE).graph
    assert described is not None and rdflib.URIRef(f"{NS}id/charta") in set(described.subjects())
    REPORT["rdflib SPARQLStore"] = (
        f"rdflib {version('rdflib')}: SELECT, CONSTRUCT, DESCRIBE with returnFormat "
        f"{', '.join(STORE_FORMATS)} (ASK with xml and json: CSV/TSV have no boolean form), "
        "by GET, POST and POST_FORM"
    )
