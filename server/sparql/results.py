"""SPARQL result writers with a row cap (SELECT and ASK; JSON, XML, CSV, TSV).

Written here rather than with pyoxigraph's serialiser because the answer must
stop at ``max_rows`` and say so; pyoxigraph serialises a whole result or nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from server.rdf.serialize import XSD_STRING

LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@dataclass(frozen=True)
class ResultsFormat:
    name: str
    media_type: str


JSON = ResultsFormat("json", "application/sparql-results+json")
XML = ResultsFormat("xml", "application/sparql-results+xml")
CSV = ResultsFormat("csv", "text/csv")
TSV = ResultsFormat("tsv", "text/tab-separated-values")
RESULTS_FORMATS = (JSON, XML, CSV, TSV)
BY_NAME = (
    {f.name: f for f in RESULTS_FORMATS}
    | {f.media_type: f for f in RESULTS_FORMATS}
    | {"srj": JSON, "srx": XML, "text": TSV}
)

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = Sequence[Term | None]


def _json_term(t: Term) -> dict[str, object]:
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(t.subject),
                "predicate": _json_term(t.predicate),
                "object": _json_term(t.object),
            },
        }
    out: dict[str, object] = {"type": "literal", "value": t.value}
    if t.language:
        out["xml:lang"] = t.language
    elif t.datatype and t.datatype.value != XSD_STRING:
        out["datatype"] = t.datatype.value
    return out


def _xml_term(t: Term) -> str:
    if isinstance(t, ox.NamedNode):
        return f"<uri>{escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{escape(t.value)}</bnode>"
    if isinstance(t, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(t.subject)}</subject><predicate>"
            f"{_xml_term(t.predicate)}</predicate><object>{_xml_term(t.object)}</object></triple>"
        )
    if t.language:
        return f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
    if t.datatype and t.datatype.value != XSD_STRING:
        return f"<literal datatype={quoteattr(t.datatype.value)}>{escape(t.value)}</literal>"
    return f"<literal>{escape(t.value)}</literal>"


def _csv_term(t: Term | None) -> str:
    if t is None:
        return ""
    if isinstance(t, ox.BlankNode):
        return f"_:{t.value}"
    if isinstance(t, ox.Triple):
        return str(t)
    return t.value


def _tsv_term(t: Term | None) -> str:
    if t is None:
        return ""
    if isinstance(t, ox.Literal):
        body = (
            t.value.replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("\t", "\\t")
        )
        if t.language:
            return f'"{body}"@{t.language}'
        if t.datatype and t.datatype.value not in (XSD_STRING, LANG_STRING):
            return f'"{body}"^^<{t.datatype.value}>'
        return f'"{body}"'
    return str(t)


def write_select(
    variables: list[str], rows: Iterable[Row], fmt: ResultsFormat, truncated: bool
) -> bytes:
    """Serialise solutions; a truncated JSON answer carries ``"truncated": true``."""
    if fmt is JSON:
        bindings = [
            {v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
            for row in rows
        ]
        doc: dict[str, object] = {"head": {"vars": variables}, "results": {"bindings": bindings}}
        if truncated:
            doc["truncated"] = True
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if fmt is XML:
        out = [
            '<?xml version="1.0" encoding="utf-8"?>\n',
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>',
        ]
        out += [f"<variable name={quoteattr(v)}/>" for v in variables]
        if truncated:
            out.append('<link href="#truncated"/>')
        out.append("</head>\n<results>\n")
        for row in rows:
            out.append("<result>")
            out += [
                f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(variables, row, strict=True)
                if t is not None
            ]
            out.append("</result>\n")
        out.append("</results>\n</sparql>\n")
        return "".join(out).encode("utf-8")
    if fmt is CSV:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(variables)
        for row in rows:
            w.writerow([_csv_term(t) for t in row])
        return buf.getvalue().encode("utf-8")
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines += ["\t".join(_tsv_term(t) for t in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_ask(value: bool, fmt: ResultsFormat) -> bytes:
    """Serialise a boolean; CSV and TSV carry it as a single value, as Oxigraph does."""
    text = "true" if value else "false"
    if fmt is JSON:
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt is XML:
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/2005/'
            f'sparql-results#">\n<head/>\n<boolean>{text}</boolean>\n</sparql>\n'
        ).encode()
    return f"{text}\n".encode()


def column_order(variables: list[str], order: tuple[str, ...] | None) -> list[str]:
    """``SELECT *`` columns in the order the query names them, on every backend
    (Oxigraph sorts them by name, Virtuoso keeps the query's order)."""
    if not order:
        return variables
    rank = {name: i for i, name in enumerate(order)}
    return sorted(variables, key=lambda v: rank.get(v, len(rank)))
