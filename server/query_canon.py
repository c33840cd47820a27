"""The query text an engine runs, written by us: SPARQL's tokens read as the spec reads them,
then written back in one spelling that no parser can read two ways.

Twice a differential between what the policy checked and what the engine ran
opened the door to SERVICE: ``e:\\#`` was a comment to a text check, and
``e:a.b.SERVICE:x`` is one prefixed name to the grammar but ``e:a.b``, ``.``,
``SERVICE :x`` to Oxigraph. Refusing such spellings one by one never ends, so
the client's text is never handed on. It is read here token by token, as the
SPARQL 1.1 grammar's terminals say (longest match, keywords case-insensitive
and whole words, ``\\u`` escapes inside IRIs and strings only, as the W3C tests
say), and written back as:

- every prefixed name as the full IRI ``<…>`` it stands for, every relative IRI
  resolved (RFC 3986) against ``BASE`` or, without one, the base IRI the
  endpoint gives (the dataset namespace); no ``PREFIX`` left, and ``BASE`` only
  as one absolute IRI at the start of a query that calls ``IRI()``/``URI()``
  (they resolve their argument against it when the query runs);
- strings in double quotes with one escape per character that needs one
  (``\\"``, ``\\\\``, ``\\n``, ``\\r``, ``\\t``, ``\\b``, ``\\f``) and every other
  character as itself; no ``\\u`` escapes anywhere;
- keywords in one case, variables as ``?name``, blank node labels renamed
  ``_:b0``, ``_:b1``, … in order of appearance, comments dropped;
- one space between tokens (a language tag stays glued to its string, a built-in
  function's name to its ``(``).

IRIs and language tags are checked as the engine checks them (pyoxigraph's own
constructors), so the engine cannot refuse a term we accepted. The policy then
parses *this* text and decides on its tree, and this text is what the engine
gets: writing it again from its own tokens gives it back unchanged.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import pyoxigraph as ox

from server.store import QueryRefusedError as QueryRefused

_BASE_CHARS = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_BASE = f"[{_BASE_CHARS}]"
_PN_CHARS_U = f"[{_BASE_CHARS}_]"
_PN_CHARS = f"[{_BASE_CHARS}_\\-0-9\u00b7\u0300-\u036f\u203f-\u2040]"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PN_PREFIX = f"{_PN_CHARS_BASE}(?:(?:{_PN_CHARS}|\\.)*{_PN_CHARS})?"
_PN_LOCAL = (
    f"(?:{_PN_CHARS_U}|:|[0-9]|{_PLX})"
    f"(?:(?:{_PN_CHARS}|\\.|:|{_PLX})*(?:{_PN_CHARS}|:|{_PLX}))?"
)
_VARNAME = (
    f"(?:{_PN_CHARS_U}|[0-9])(?:{_PN_CHARS_U}|[0-9\u00b7\u0300-\u036f\u203f-\u2040])*"
)
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"\\[tbnrf\\\"']"

_PNAME = re.compile(f"({_PN_PREFIX})?:({_PN_LOCAL})?")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_VAR = re.compile(f"[?$]({_VARNAME})")
_BNODE = re.compile(f"_:((?:{_PN_CHARS_U}|[0-9])(?:(?:{_PN_CHARS}|\\.)*{_PN_CHARS})?)")
_LANGTAG = re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
_NUMBER = re.compile(
    r"[+-]?(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+[eE][+-]?[0-9]+|[0-9]+[eE][+-]?[0-9]+"
    r"|[0-9]*\.[0-9]+|[0-9]+)"
)
_IRIREF = re.compile(f"<((?:[^<>\"{{}}|^`\\\\\\x00-\\x20]|{_UCHAR})*)>")
_STRINGS = (
    re.compile(f'"""((?:(?:"|"")?(?:[^"\\\\]|{_ECHAR}|{_UCHAR}))*)"""'),
    re.compile(f"'''((?:(?:'|'')?(?:[^'\\\\]|{_ECHAR}|{_UCHAR}))*)'''"),
    re.compile(f'"((?:[^"\\\\\\n\\r]|{_ECHAR}|{_UCHAR})*)"'),
    re.compile(f"'((?:[^'\\\\\\n\\r]|{_ECHAR}|{_UCHAR})*)'"),
)
_ESCAPES = re.compile(f"{_ECHAR}|{_UCHAR}")
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", "\\": "\\", '"': '"', "'": "'"}
_WRITE_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b"}
_WRITE_ESCAPES["\f"] = "\\f"
_NEEDS_ESCAPE = re.compile('["\\\\\n\r\t\b\f]')
_NIL = re.compile(r"\([ \t\r\n]*\)")
_ANON = re.compile(r"\[[ \t\r\n]*\]")
_PUNCT = (
    "^^", "<=", ">=", "!=", "&&", "||",
    "{", "}", "(", ")", "[", "]", ";", ",", ".", "*", "/", "|", "^", "!", "=", "<", ">",
    "+", "-", "?",
)  # fmt: skip
_WS = " \t\r\n"

#: SPARQL 1.1's keywords, in the spelling tree-sitter-sparql matches (it is case-sensitive
#: where the grammar's own spelling mixes cases, e.g. ``isBLANK``), by upper case.
KEYWORDS = {
    k.upper(): k
    for k in (
        "ABS ADD ALL AS ASC ASK AVG BASE BIND BNODE BOUND BY CEIL CLEAR COALESCE CONCAT "
        "CONSTRUCT CONTAINS COPY COUNT CREATE DATA DATATYPE DAY DEFAULT DELETE DESC DESCRIBE "
        "DISTINCT DROP ENCODE_FOR_URI EXISTS FILTER FLOOR FROM GRAPH GROUP GROUP_CONCAT HAVING "
        "HOURS IF IN INSERT INTO IRI LANG LANGMATCHES LCASE LIMIT LOAD MAX MD5 MIN MINUS "
        "MINUTES MONTH MOVE NAMED NOT NOW OFFSET OPTIONAL ORDER PREFIX RAND REDUCED REGEX "
        "REPLACE ROUND SAMPLE SECONDS SELECT SEPARATOR SERVICE SHA1 SHA256 SHA384 SHA512 "
        "SILENT STR STRAFTER STRBEFORE STRDT STRENDS STRLANG STRLEN STRSTARTS STRUUID SUBSTR "
        "SUM TIMEZONE TO TZ UCASE UNDEF UNION URI USING UUID VALUES WHERE WITH YEAR "
        "isBLANK isIRI isLITERAL isNUMERIC isURI sameTerm LANGMATCHES"
    ).split()
}

#: Built-in functions, written glued to their "(": Oxigraph 0.5 reads ``CONCAT (…)``,
#: ``COALESCE (…)`` and ``BNODE ()`` as errors.
FUNCTIONS = frozenset(
    """ABS AVG BNODE BOUND CEIL COALESCE CONCAT CONTAINS COUNT DATATYPE DAY ENCODE_FOR_URI
    FLOOR GROUP_CONCAT HOURS IF IRI LANG LANGMATCHES LCASE MAX MD5 MIN MINUTES MONTH NOW RAND
    REGEX REPLACE ROUND SAMPLE SECONDS SHA1 SHA256 SHA384 SHA512 STR STRAFTER STRBEFORE STRDT
    STRENDS STRLANG STRLEN STRSTARTS STRUUID SUBSTR SUM TIMEZONE TZ UCASE URI UUID YEAR
    isBLANK isIRI isLITERAL isNUMERIC isURI sameTerm""".split()
)


@dataclass(frozen=True)
class Token:
    """One token as written, and where the client's text had it (for messages)."""

    kind: str
    text: str
    line: int
    column: int
    source: str


@dataclass(frozen=True)
class Canonical:
    """The text we write, its tokens, and the UTF-8 offset where each token starts in it."""

    text: str
    tokens: tuple[Token, ...]
    starts: tuple[int, ...]

    def token_at(self, offset: int) -> Token | None:
        """The token of our text at (or just before) UTF-8 byte ``offset``."""
        index = bisect.bisect_right(self.starts, offset) - 1
        return self.tokens[index] if index >= 0 else None


def _refuse(line: int, column: int, what: str) -> QueryRefused:
    where = f"{line}:{column} (line:column)"
    return QueryRefused(400, f"Malformed query: syntax error at {where}: {what}")


def _decode(body: str, line: int, column: int, echar: bool) -> str:
    """A string's or IRI's value: ``\\u`` escapes (and in strings ECHARs) decoded once."""

    def one(m: re.Match[str]) -> str:
        s = m.group()
        if s[1] in "uU":
            code = int(s[2:], 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise _refuse(line, column, f"the escape {s} is not a character")
            return chr(code)
        if not echar:
            raise _refuse(line, column, f"the escape {s} is not allowed in an IRI")
        return _ECHARS[s[1]]

    return _ESCAPES.sub(one, body)


def _lex(text: str) -> list[Token]:
    """The client's text as SPARQL 1.1 terminals (longest match); comments dropped."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    line, line_start = 1, 0
    while i < n:
        ch = text[i]
        if ch in _WS:
            if ch == "\n":
                line, line_start = line + 1, i + 1
            i += 1
            continue
        column = i - line_start + 1
        if ch == "#":
            end = i
            while end < n and text[end] not in "\r\n":
                end += 1
            i = end
            continue
        kind, value, end = "", "", i
        if ch == "<" and (m := _IRIREF.match(text, i)):
            kind, value, end = "iri", _decode(m.group(1), line, column, False), m.end()
        elif ch in "\"'":
            for pattern in _STRINGS:
                if m := pattern.match(text, i):
                    kind, value, end = "string", _decode(m.group(1), line, column, True), m.end()
                    break
            else:
                raise _refuse(line, column, "a string that does not end (or an escape it "
                              "may not hold)")
        elif ch in "?$" and (m := _VAR.match(text, i)):
            kind, value, end = "var", m.group(1), m.end()
        elif ch == "_" and (m := _BNODE.match(text, i)):
            kind, value, end = "bnode", m.group(1), m.end()
        elif ch == "@" and (m := _LANGTAG.match(text, i)):
            kind, value, end = "lang", m.group()[1:], m.end()
        elif (ch.isdigit() or ch in ".+-") and (m := _NUMBER.match(text, i)):
            kind, value, end = "number", m.group(), m.end()
        elif ch == "(" and (m := _NIL.match(text, i)):
            kind, value, end = "punct", "()", m.end()
        elif ch == "[" and (m := _ANON.match(text, i)):
            kind, value, end = "punct", "[]", m.end()
        elif ch == ":" or re.match(_PN_CHARS_BASE, ch):
            pname = _PNAME.match(text, i)
            word = _WORD.match(text, i)
            if pname:
                kind, value, end = "pname", pname.group(), pname.end()
            elif word:
                found = word.group()
                if found == "a":
                    kind, value = "keyword", "a"
                elif found.upper() in ("TRUE", "FALSE"):
                    kind, value = "boolean", found.lower()
                elif found.upper() in KEYWORDS:
                    kind, value = "keyword", KEYWORDS[found.upper()]
                else:
                    raise _refuse(line, column, f"unknown word {found!r}")
                end = word.end()
        else:
            for p in _PUNCT:
                if text.startswith(p, i):
                    kind, value, end = "punct", p, i + len(p)
                    break
        if not kind:
            near = text[i : i + 20]
            if text.startswith(("\\u", "\\U"), i):
                raise _refuse(
                    line, column, f"{near!r}: a \\u escape may stand only in an IRI or a string"
                )
            raise _refuse(line, column, f"unexpected {near!r}")
        tokens.append(Token(kind, value, line, column, text[i:end]))
        newlines = text.count("\n", i, end)  # long strings, () and [] may span lines
        if newlines:
            line, line_start = line + newlines, text.rindex("\n", i, end) + 1
        i = end
    return tokens


def _resolve(ref: str, base: str) -> str:
    """``ref`` resolved against the absolute ``base`` as RFC 3986 section 5.2 says."""
    r = _split(ref)
    scheme: str | None
    if r[0] is not None:
        scheme, authority, path, query = r[0], r[1], _remove_dots(r[2]), r[3]
    else:
        b = _split(base)
        scheme = b[0]
        if r[1] is not None:
            authority, path, query = r[1], _remove_dots(r[2]), r[3]
        else:
            authority = b[1]
            if r[2] == "":
                path = b[2]
                query = r[3] if r[3] is not None else b[3]
            else:
                if r[2].startswith("/"):
                    path = _remove_dots(r[2])
                elif b[1] is not None and b[2] == "":
                    path = _remove_dots("/" + r[2])
                else:
                    path = _remove_dots(b[2][: b[2].rfind("/") + 1] + r[2])
                query = r[3]
    out = f"{scheme}:"
    if authority is not None:
        out += "//" + authority
    out += path
    if query is not None:
        out += "?" + query
    if r[4] is not None:
        out += "#" + r[4]
    return out


_IRI_PARTS = re.compile(r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", re.S)


def _split(iri: str) -> tuple[str | None, str | None, str, str | None, str | None]:
    m = _IRI_PARTS.match(iri)
    assert m is not None  # every string matches
    return m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)


def _remove_dots(path: str) -> str:
    out: list[str] = []
    while path:
        if path.startswith("../"):
            path = path[3:]
        elif path.startswith("./"):
            path = path[2:]
        elif path.startswith("/./"):
            path = path[2:]
        elif path == "/.":
            path = "/"
        elif path.startswith("/../"):
            path = path[3:]
            if out:
                out.pop()
        elif path == "/..":
            path = "/"
            if out:
                out.pop()
        elif path in (".", ".."):
            path = ""
        else:
            start = 1 if path.startswith("/") else 0
            cut = path.find("/", start)
            cut = len(path) if cut < 0 else cut
            out.append(path[:cut])
            path = path[cut:]
    return "".join(out)


def _iri(value: str, token: Token) -> str:
    """``<value>`` if the engine takes it as an IRI, else a refusal that names it."""
    try:
        ox.NamedNode(value)
    except ValueError as exc:
        what = f"{token.source!r} is not a valid IRI ({exc})"
        raise _refuse(token.line, token.column, what) from None
    if _IRIREF.fullmatch(f"<{value}>") is None or "\\" in value:
        raise _refuse(token.line, token.column, f"{token.source!r} is not a valid IRI")
    return f"<{value}>"


def _string(value: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _WRITE_ESCAPES[m.group()], value) + '"'


def canonical(text: str, base_iri: str) -> Canonical:
    """The text to parse, check and run instead of ``text`` (see the module docstring).

    ``base_iri`` (absolute) is where relative IRIs resolve when the query has no ``BASE``.
    """
    raw = _lex(text)
    base = base_iri
    prefixes: dict[str, str] = {}
    i = 0
    # The prologue: BASE and PREFIX declarations, resolved here and not written.
    while i < len(raw) and raw[i].kind == "keyword" and raw[i].text in ("BASE", "PREFIX"):
        t = raw[i]
        if t.text == "BASE":
            if i + 1 >= len(raw) or raw[i + 1].kind != "iri":
                raise _refuse(t.line, t.column, "BASE must be followed by an IRI in <…>")
            base = _iri(_resolve(raw[i + 1].text, base), raw[i + 1])[1:-1]
            i += 2
            continue
        if (
            i + 2 >= len(raw)
            or raw[i + 1].kind != "pname"
            or raw[i + 1].text.find(":") != len(raw[i + 1].text) - 1  # a prefix, no local
            or raw[i + 2].kind != "iri"
        ):
            raise _refuse(t.line, t.column, "PREFIX must be followed by a name ending in ':' "
                          "and an IRI in <…>")
        prefixes[raw[i + 1].text[:-1]] = _iri(_resolve(raw[i + 2].text, base), raw[i + 2])[1:-1]
        i += 3
    out: list[Token] = []
    labels: dict[str, str] = {}
    for t in raw[i:]:
        if t.kind == "keyword" and t.text in ("BASE", "PREFIX"):
            raise _refuse(t.line, t.column, f"{t.text} belongs at the start of the query")
        if t.kind == "iri":
            written = _iri(_resolve(t.text, base), t)
        elif t.kind == "pname":
            prefix, _, local = t.text.partition(":")
            if prefix not in prefixes:
                raise _refuse(
                    t.line, t.column, f"the prefix {prefix}: of {t.source!r} is not declared"
                )
            local = re.sub(r"\\(.)", r"\1", local)  # PN_LOCAL_ESC stands for the character
            written = _iri(prefixes[prefix] + local, t)
        elif t.kind == "string":
            written = _string(t.text)
        elif t.kind == "var":
            written = "?" + t.text
        elif t.kind == "bnode":
            written = labels.setdefault(t.text, f"_:b{len(labels)}")
        elif t.kind == "lang":
            try:
                ox.Literal("", language=t.text)
            except ValueError as exc:
                raise _refuse(
                    t.line, t.column, f"{t.source!r} is not a valid language tag ({exc})"
                ) from None
            written = "@" + t.text
        else:
            written = t.text
        out.append(Token(t.kind, written, t.line, t.column, t.source))
    if any(t.kind == "keyword" and t.text in ("IRI", "URI") for t in out):
        # IRI("x") resolves at run time against the query's base: keep it, absolute.
        out.insert(0, Token("keyword", "BASE", 1, 1, "BASE"))
        out.insert(1, Token("iri", f"<{base}>", 1, 1, base))
    # Written back: "(" ")" and "[" "]" as one token, as they read again.
    merged: list[Token] = []
    for t in out:
        if merged and (merged[-1].text, t.text) in (("(", ")"), ("[", "]")):
            merged[-1] = Token("punct", merged[-1].text + t.text, *_where(merged[-1]))
            continue
        merged.append(t)
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for index, t in enumerate(merged):
        before = merged[index - 1] if index else None
        glued = before is not None and (
            (t.kind == "lang" and before.kind == "string")
            or (t.text in ("(", "()") and before.kind == "keyword" and before.text in FUNCTIONS)
        )
        sep = "" if before is None or glued else " "
        offset += len(sep)
        starts.append(offset)
        parts.append(sep + t.text)
        offset += len(t.text.encode("utf-8", "surrogatepass"))
    return Canonical("".join(parts), tuple(merged), tuple(starts))


def _where(t: Token) -> tuple[int, int, str]:
    return t.line, t.column, t.source
