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
  resolved against ``BASE`` or, without one, the base IRI the endpoint gives
  (the dataset namespace) by Oxigraph's own resolver, every absolute IRI as
  written (never normalised); no ``PREFIX`` left, and ``BASE`` only
  as one absolute IRI at the start of a query that calls ``IRI()``/``URI()``
  (they resolve their argument against it when the query runs);
- strings in double quotes with one escape per character that needs one
  (``\\"``, ``\\\\``, ``\\n``, ``\\r``, ``\\t``, ``\\b``, ``\\f``) and every other
  character as itself; no ``\\u`` escapes anywhere;
- keywords in one case, variables as ``?name``, blank node labels renamed
  ``_:b0``, ``_:b1``, … in order of appearance, comments dropped;
- one space between tokens (a language tag stays glued to its string, a built-in
  function's name to its ``(``); a leading byte order mark dropped;
- at most ``max_bytes`` in all, checked while it is written (expansion stops early).

IRIs and language tags are checked as the engine checks them (pyoxigraph's own
constructors), so the engine cannot refuse a term we accepted. The policy then
parses *this* text and decides on its tree, and this text is what the engine
gets: writing it again from its own tokens gives it back unchanged.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

import pyoxigraph as ox

from server.sparql import QueryRefusedError as QueryRefused

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
    f"(?:{_PN_CHARS_U}|:|[0-9]|{_PLX})(?:(?:{_PN_CHARS}|\\.|:|{_PLX})*(?:{_PN_CHARS}|:|{_PLX}))?"
)
_VARNAME = f"(?:{_PN_CHARS_U}|[0-9])(?:{_PN_CHARS_U}|[0-9\u00b7\u0300-\u036f\u203f-\u2040])*"
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
_IRIREF = re.compile(f'<((?:[^<>"{{}}|^`\\\\\\x00-\\x20]|{_UCHAR})*)>')
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


class Token(NamedTuple):
    """One token as written, and where the client's text had it (for messages)."""

    kind: str
    text: str
    #: Where the client's text has it (character offsets).
    start: int
    end: int


@dataclass(frozen=True)
class Canonical:
    """The text we write, its tokens, and the UTF-8 offset where each token starts in it."""

    text: str
    tokens: tuple[Token, ...]
    starts: tuple[int, ...]
    #: The client's text, for messages that say where.
    client: str

    def token_at(self, offset: int) -> Token | None:
        """The token of our text at (or just before) UTF-8 byte ``offset``."""
        index = bisect.bisect_right(self.starts, offset) - 1
        return self.tokens[index] if index >= 0 else None

    def where(self, token: Token) -> str:
        """``line:column (line:column)`` of ``token`` in the client's text."""
        return _position(self.client, token.start)

    def spelling(self, token: Token) -> str:
        """The token as the client wrote it."""
        return self.client[token.start : token.end]


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"{line}:{column} (line:column)"


def _refuse(text: str, offset: int, what: str) -> QueryRefused:
    return QueryRefused(400, f"Malformed query: syntax error at {_position(text, offset)}: {what}")


def _decode(body: str, text: str, offset: int, echar: bool) -> str:
    """A string's or IRI's value: ``\\u`` escapes (and in strings ECHARs) decoded once."""
    if "\\" not in body:
        return body

    def one(m: re.Match[str]) -> str:
        s = m.group()
        if s[1] in "uU":
            code = int(s[2:], 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise _refuse(text, offset, f"the escape {s} is not a character")
            return chr(code)
        if not echar:
            raise _refuse(text, offset, f"the escape {s} is not allowed in an IRI")
        return _ECHARS[s[1]]

    return _ESCAPES.sub(one, body)


#: One pattern for every terminal, tried in an order that gives the longest match: an
#: IRI before "<", numbers before "+", "-" and ".", "()" before "(", a prefixed name
#: (which holds a ":") before a word. Whitespace and comments before a token are part
#: of its match.
_SKIP = re.compile(r"(?:[ \t\r\n]++|#[^\r\n]*+)*+")
_TERMINALS = re.compile(
    _SKIP.pattern
    + "(?:"
    + "|".join(
        (
            r"(?P<eof>\Z)",
            f"(?P<iri>{_IRIREF.pattern})",
            f"(?P<long>{_STRINGS[0].pattern}|{_STRINGS[1].pattern})",
            f"(?P<string>{_STRINGS[2].pattern}|{_STRINGS[3].pattern})",
            f"(?P<var>{_VAR.pattern})",
            f"(?P<bnode>{_BNODE.pattern})",
            f"(?P<lang>{_LANGTAG.pattern})",
            f"(?P<number>{_NUMBER.pattern})",
            r"(?P<nil>\([ \t\r\n]*\))",
            r"(?P<anon>\[[ \t\r\n]*\])",
            f"(?P<pname>{_PNAME.pattern})",
            f"(?P<word>{_WORD.pattern})",
            r"(?P<punct>\^\^|<=|>=|!=|&&|\|\||[{}()\[\];,.*/|^!=<>+\-?])",
        )
    )
    + ")"
)
#: The same without prefixed names: used inside a run of name characters and dots that
#: no prefixed name can start in (see _lex).
_TERMINALS_NO_PNAME = re.compile(_TERMINALS.pattern.replace(f"|(?P<pname>{_PNAME.pattern})", ""))
#: A run of the characters a prefix is made of; a prefixed name needs a ":" after it.
_PREFIX_RUN = re.compile(f"(?:{_PN_CHARS}|\\.)*+")
#: Whitespace to SPARQL is space, tab, CR and LF only (Oxigraph agrees); others get a name.
_OTHER_SPACE = re.compile(r"[^\S \t\r\n]")


def _lex(text: str) -> list[Token]:
    """The client's text as SPARQL 1.1 terminals (longest match); comments dropped.

    Linear in the text: where a prefixed name was tried at a word and failed, it
    would fail again at every later start in the same run of name characters and
    dots (they all end where the run ends), so inside that run it is not tried
    again. Before, ``a-a-a…`` of 64 KB took 46-125 s, each ``a`` scanning the rest.
    """
    tokens: list[Token] = []
    append = tokens.append
    match = _TERMINALS.match
    no_pname = _TERMINALS_NO_PNAME.match
    run_end = -1  # before this offset no prefixed name can start
    # A byte order mark is an encoding's mark, not text (Oxigraph refuses it): dropped.
    i = 1 if text.startswith("\ufeff") else 0
    while True:
        m = no_pname(text, i) if i < run_end else match(text, i)
        if m is None:
            i = _SKIP.match(text, i).end()  # type: ignore[union-attr]  # matches ""
            near = text[i : i + 20]
            if text[i] in "\"'":
                what = "a string that does not end (or an escape it may not hold)"
            elif text.startswith(("\\u", "\\U"), i):
                what = f"{near!r}: a \\u escape may stand only in an IRI or a string"
            elif _OTHER_SPACE.match(text, i):
                what = (
                    f"U+{ord(text[i]):04X} {unicodedata.name(text[i], 'space')} is not "
                    "whitespace in SPARQL (only space, tab, CR and LF are)"
                )
            else:
                what = f"unexpected {near!r}"
            raise _refuse(text, i, what)
        kind = m.lastgroup or ""
        if kind == "eof":
            return tokens
        start, end = m.span(kind)
        token = text[start:end]
        if kind == "word" and start >= run_end:
            # A prefixed name failed here: none starts before the end of this run.
            run_end = _PREFIX_RUN.match(text, start).end()  # type: ignore[union-attr]
        if kind == "word":
            upper = token.upper()
            if token == "a":
                value = "a"
                kind = "keyword"
            elif upper in ("TRUE", "FALSE"):
                kind, value = "boolean", token.lower()
            elif upper in KEYWORDS:
                kind, value = "keyword", KEYWORDS[upper]
            else:
                raise _refuse(text, start, f"unknown word {token!r}")
        elif kind == "iri":
            value = _decode(token[1:-1], text, start, False)
        elif kind == "string":
            value = _decode(token[1:-1], text, start, True)
        elif kind == "long":
            kind, value = "string", _decode(token[3:-3], text, start, True)
        elif kind == "var":
            value = token[1:]
        elif kind == "bnode":
            value = token[2:]
        elif kind == "lang":
            value = token[1:]
        elif kind == "nil":
            kind, value = "punct", "()"
        elif kind == "anon":
            kind, value = "punct", "[]"
        else:  # number, pname, punct: as written
            value = token
        append(Token(kind, value, start, end))
        i = end


#: An absolute IRI starts with a scheme (RFC 3986 section 3.1).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_IRI_CHARS = re.compile(r'[^<>"{}|^`\\\x00-\x20]*')


class _Resolver:
    """Relative IRIs as the engine reads them, resolved against the absolute ``base`` by
    Oxigraph's own resolver (RFC 3986 section 5.2 as Oxigraph implements it:
    ``//host/a/../b`` keeps its dots); absolute IRIs are as written, never normalised.

    All the relative IRIs that resolve against one base go to one parse, so the base
    is read once (a parse per IRI read a 30,000-character base 5,000 times: 1.5 s),
    and they are taken from it one at a time, in the order the query first uses
    them, so the caller's size bound stops it early.
    """

    def __init__(self, base: str, tokens: list[Token], text: str) -> None:
        refs: dict[str, Token] = {}
        for t in tokens:
            if not _SCHEME.match(t.text) and t.text not in refs:
                if _IRI_CHARS.fullmatch(t.text) is None:
                    spelled = text[t.start : t.end]
                    raise _refuse(text, t.start, f"{spelled!r} is not a valid IRI")
                refs[t.text] = t
        self._order = list(refs.items())
        self._text = text
        self._done: dict[str, str] = {}
        doc = "".join(f"<{ref}> <x:p> <x:o> .\n" for ref in refs)
        self._parsed = iter(ox.parse(doc, ox.RdfFormat.TURTLE, base_iri=base) if refs else ())

    def __call__(self, ref: str) -> str:
        if _SCHEME.match(ref):
            return ref
        while ref not in self._done:
            wanted, token = self._order[len(self._done)]
            try:
                self._done[wanted] = str(next(self._parsed).subject.value)
            except (SyntaxError, ValueError, StopIteration) as exc:
                spelled = self._text[token.start : token.end]
                what = f"{spelled!r} is not a valid IRI ({exc})"
                raise _refuse(self._text, token.start, what) from None
        return self._done[ref]


def _iri(value: str, token: Token, text: str) -> str:
    """``<value>`` if the engine takes it as an IRI, else a refusal that names it."""
    spelled = text[token.start : token.end]
    try:
        ox.NamedNode(value)
    except ValueError as exc:
        raise _refuse(text, token.start, f"{spelled!r} is not a valid IRI ({exc})") from None
    if "\\" in value or _IRIREF.fullmatch(f"<{value}>") is None:
        raise _refuse(text, token.start, f"{spelled!r} is not a valid IRI")
    return f"<{value}>"


def _string(value: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _WRITE_ESCAPES[m.group()], value) + '"'


def canonical(text: str, base_iri: str, max_bytes: int | None = None) -> Canonical:
    """The text to parse, check and run instead of ``text`` (see the module docstring).

    ``base_iri`` (absolute) is where relative IRIs resolve when the query has no ``BASE``.
    ``max_bytes``: the most UTF-8 bytes the written text may have (413). Checked while it
    is written: a 64 KB text repeating a prefix of a 30,000-character IRI would expand to
    266 MB, 20 s of CPU and the memory to hold it, before any rule saw it.
    """
    raw = _lex(text)
    base = base_iri
    prefixes: dict[str, str] = {}
    written_chars = 0  # at most the UTF-8 bytes they make
    i = 0
    # The prologue: BASE and PREFIX declarations, resolved here and not written.
    declared: list[tuple[str, Token]] = []  # (prefix, IRI token) under the current base

    def resolve_declared() -> None:
        nonlocal written_chars
        resolve = _Resolver(base, [t for _, t in declared], text)
        for name, t in declared:
            iri = _iri(resolve(t.text), t, text)
            prefixes[name] = iri[1:-1]
            written_chars += len(iri)
            if max_bytes is not None and written_chars > max_bytes:
                raise _too_long(text, max_bytes)
        declared.clear()

    while i < len(raw) and raw[i].kind == "keyword" and raw[i].text in ("BASE", "PREFIX"):
        t = raw[i]
        if t.text == "BASE":
            if i + 1 >= len(raw) or raw[i + 1].kind != "iri":
                raise _refuse(text, t.start, "BASE must be followed by an IRI in <…>")
            resolve_declared()
            iri_token = raw[i + 1]
            resolved = _Resolver(base, [iri_token], text)(iri_token.text)
            base = _iri(resolved, iri_token, text)[1:-1]
            written_chars += len(base)
            if max_bytes is not None and written_chars > max_bytes:
                raise _too_long(text, max_bytes)
            i += 2
            continue
        if (
            i + 2 >= len(raw)
            or raw[i + 1].kind != "pname"
            or raw[i + 1].text.find(":") != len(raw[i + 1].text) - 1  # a prefix, no local
            or raw[i + 2].kind != "iri"
        ):
            raise _refuse(
                text, t.start, "PREFIX must be followed by a name ending in ':' and an IRI in <…>"
            )
        declared.append((raw[i + 1].text[:-1], raw[i + 2]))
        i += 3
    resolve_declared()
    resolve = _Resolver(base, [t for t in raw[i:] if t.kind == "iri"], text)
    out: list[Token] = []
    labels: dict[str, str] = {}
    iris: dict[str, str] = {}  # each distinct IRI resolved and checked once
    base_needed = False
    for t in raw[i:]:
        kind = t.kind
        if kind == "iri":
            written = iris.get(t.text) or iris.setdefault(t.text, _iri(resolve(t.text), t, text))
        elif kind == "pname":
            written = iris.get(t.text) or iris.setdefault(t.text, _expand(t, prefixes, text))
        elif kind == "string":
            written = _string(t.text)
        elif kind == "var":
            written = "?" + t.text
        elif kind == "bnode":
            written = labels.setdefault(t.text, f"_:b{len(labels)}")
        elif kind == "lang":
            try:
                ox.Literal("", language=t.text)
            except ValueError as exc:
                what = f"{text[t.start : t.end]!r} is not a valid language tag ({exc})"
                raise _refuse(text, t.start, what) from None
            written = "@" + t.text
        else:
            written = t.text
            if kind == "keyword":
                if written in ("BASE", "PREFIX"):
                    raise _refuse(text, t.start, f"{written} belongs at the start of the query")
                base_needed = base_needed or written in ("IRI", "URI")
        if out and (out[-1].text, written) in (("(", ")"), ("[", "]")):
            # Written back as one token, as "()" and "[]" read again.
            out[-1] = Token("punct", out[-1].text + written, out[-1].start, t.end)
            continue
        out.append(Token(kind, written, t.start, t.end))
        # Bounded as it grows (each resolved IRI is kept once), before it is joined below.
        written_chars += len(written) + 1
        if max_bytes is not None and written_chars > max_bytes:
            raise _too_long(text, max_bytes)
    if base_needed:
        # IRI("x") resolves at run time against the query's base: keep it, absolute.
        out[0:0] = [Token("keyword", "BASE", 0, 0), Token("iri", f"<{base}>", 0, 0)]
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    before: Token | None = None
    for t in out:
        glued = before is not None and (
            (t.kind == "lang" and before.kind == "string")
            or (t.text in ("(", "()") and before.kind == "keyword" and before.text in FUNCTIONS)
        )
        if before is not None and not glued:
            parts.append(" ")
            offset += 1
        starts.append(offset)
        parts.append(t.text)
        offset += len(t.text) if t.text.isascii() else len(t.text.encode("utf-8", "surrogatepass"))
        if max_bytes is not None and offset > max_bytes:
            raise _too_long(text, max_bytes)
        before = t
    return Canonical("".join(parts), tuple(out), tuple(starts), text)


def _too_long(text: str, max_bytes: int) -> QueryRefused:
    sent = len(text.encode("utf-8", "surrogatepass"))
    return QueryRefused(
        413,
        f"The query you sent is {sent} bytes long, but written as the engine runs it "
        "(every prefixed name and relative IRI as its full IRI, one space between tokens) "
        f"it would be longer than {max_bytes} bytes, the most this endpoint runs. Send "
        "fewer terms, or shorter IRIs.",
    )


def _expand(t: Token, prefixes: dict[str, str], text: str) -> str:
    prefix, _, local = t.text.partition(":")
    if prefix not in prefixes:
        what = f"the prefix {prefix}: of {text[t.start : t.end]!r} is not declared"
        raise _refuse(text, t.start, what)
    if "\\" in local:
        local = re.sub(r"\\(.)", r"\1", local)  # PN_LOCAL_ESC stands for the character
    return _iri(prefixes[prefix] + local, t, text)
