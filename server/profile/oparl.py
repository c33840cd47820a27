"""``charta import oparl``: the Charta's papers from a council system into the register tables.

Walks an OParl 1.0/1.1 system (System -> bodies -> paginated paper lists), keeps
the papers whose name or reference matches the search text *and* that name the
Charta Grüne Infrastruktur in their title or a file's text, reads their
consultations, the meetings and organisations those name and the papers' files,
and writes them into ``data/register/{institutionen,beitritte,beratungen}.csv``:
a body is an institution row, a paper a joining (Beitritt) row, each of its
consultations a Beratung row, with the OParl object's ``id`` as ``quelle`` and
``oparl_id`` and its ``modified`` as ``oparl_modified``.

Imports propose, people decide: a joining the import adds is a candidate
(``bestaetigt=nein``) until a person sets ``ja``, which the import never changes.
A paper's own date is never a decision date, and a consultation is ``geplant``
until its meeting records that it took place.

The council server is not trusted. Every URL it names (links, redirects) must be
http(s) and, outside the origin of the URL given on the command line, resolve to
public addresses (the connection goes to the address that was checked); answers
are capped after decompression, JSON in nesting depth, the run in list pages and
in total time. Every row is checked before anything is written; the run is all
or nothing: tables are written to temporary files and replaced together (a
journal lets the next run finish a replacement a kill interrupted), and a table
whose rows did not change is not written at all, so a second run leaves every
byte as it was. Real servers bend the spec in known ways (``docs/editing.md``,
"Import from a council system"); each bend is reported as a warning naming the
URL and the run goes on. Anything else a server does wrong ends the run with
:class:`OParlImportError` (``URL: what``) and the tables untouched.
"""

from __future__ import annotations

import csv
import fcntl
import http.client
import io
import ipaddress
import json
import os
import re
import socket
import threading
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qs, quote, urljoin, urlsplit

from server.config import DEFAULT_NAMESPACE
from server.pipeline.register import METADATA, RegisterError
from server.profile.register_rules import convert

USER_AGENT = (
    f"charta-oparl-import/0.1 (+{DEFAULT_NAMESPACE}; "
    "register of the Charta Gruene Infrastruktur Metropole Ruhr)"
)
#: What a paper must name (title or a file's text, folded) to be written as a joining.
CHARTA = "Charta Grüne Infrastruktur"
DEFAULT_SEARCH = CHARTA
#: Folder of the register tables, relative to the project.
REGISTER = Path("data") / "register"
#: The table contract (docs/editing.md): a table must have these columns; a new
#: table gets them in this order; a file may have more.
COLUMNS: dict[str, list[str]] = {
    "institutionen": ["id", "name", "art", "ags", "quelle"],
    "beitritte": [
        "id",
        "institution",
        "gremium",
        "vorlage",
        "vorlage_url",
        "datum",
        "status",
        "quelle",
        "oparl_id",
        "oparl_modified",
        "vorlage_titel",
        "bestaetigt",
        "stand",
    ],
    "beratungen": [
        "beitritt",
        "datum",
        "gremium",
        "rolle",
        "ergebnis",
        "quelle",
        "oparl_id",
        "oparl_modified",
        "sitzungsstatus",
    ],
}
#: Largest answer read from a server, counted after gzip/deflate decoding: an OParl
#: page is rarely above 1 MB; a decompression bomb stops here.
MAX_ANSWER_BYTES = 16 * 2**20
#: Deepest JSON nesting read (an OParl list page with embedded objects needs about 8).
MAX_JSON_DEPTH = 32
#: Most redirects followed for one request.
MAX_REDIRECTS = 5
#: Longest text cell the import writes.
MAX_CELL = 2000


class OParlImportError(Exception):
    """The run cannot finish (``URL: what`` or ``file:line: what``); nothing was written."""


class _RetryableError(Exception):
    """A failure worth a retry (no answer, an answer cut off): ``str()`` is the reason."""


Warn = Callable[[str, str], None]


def show(url: str) -> str:
    """A URL from a server as printed in a message: as is, unless it hides control
    characters or runs long (then quoted and cut)."""
    if len(url) <= 300 and url.isprintable() and " " not in url:
        return url
    return repr(url[:300]) + ("…" if len(url) > 300 else "")


# --- HTTP ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Politeness:
    """How hard the importer may press a server, and how much it takes from one."""

    timeout_s: float = 30.0  # one answer, from connecting to its last byte
    retries: int = 4
    backoff_s: float = 1.0  # first wait after a failure, doubled after each further one
    delay_s: float = 0.5  # least time between the starts of two requests
    deadline_s: float = 3600.0  # the whole run
    max_pages: int = 20_000  # list pages in the whole run
    allow_private_hosts: bool = False  # loopback/private addresses beyond the given origin


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes


def _origin(parts: SplitResult) -> tuple[str, str, int]:
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def url_problem(url: str) -> str | None:
    """Why ``url`` may not be requested (None: it may): only absolute http(s) URLs."""
    if not isinstance(url, str) or not url:
        return "not a URL"
    if any(ord(ch) < 0x21 or ch == "\x7f" for ch in url):
        return "not a URL (it contains spaces or control characters)"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return "not an http(s) URL (the import reads only http and https)"
    try:
        host, _ = parts.hostname, parts.port
    except ValueError:
        return "not a valid URL (bad port)"
    if not host:
        return "not a valid URL (no host)"
    if parts.username is not None or parts.password is not None:
        return "a URL with a user name or password (the import sends none)"
    try:
        host.encode("idna")
    except UnicodeError:
        return "not a valid URL (bad host name)"
    return None


def _target(parts: SplitResult) -> str:
    """The request target: path and query, IRI characters percent-encoded."""
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
    query = quote(parts.query, safe="/?%:@!$&'()*+,;=~-._")
    return path + ("?" + query if query else "")


def address_problem(ip: str) -> str | None:
    """Why a connection to ``ip`` is refused by default (None: a public address)."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "a loopback address"
    if not address.is_global or address.is_multicast:
        return "a private or otherwise non-public address"
    return None


class _Decoder:
    """Content-Encoding decoded as it arrives, stopping at :data:`MAX_ANSWER_BYTES` of
    output: the cap counts what the answer becomes, not what crossed the wire."""

    def __init__(self, encoding: str, url: str) -> None:
        self.url = url
        kind = encoding.strip().lower()
        if kind in ("", "identity"):
            self.kind = ""
        elif kind in ("gzip", "x-gzip"):
            self.kind = "gzip"
        elif kind == "deflate":
            self.kind = "deflate"
        else:
            raise OParlImportError(
                f"{show(url)}: Content-Encoding {encoding!r}, which the import does not "
                "read (it asks for gzip or deflate)"
            )
        self.out = bytearray()
        self._inflate: Any = None
        self._ended = False

    def _take(self, piece: bytes) -> None:
        self.out += piece
        if len(self.out) > MAX_ANSWER_BYTES:
            raise OParlImportError(
                f"{show(self.url)}: answer larger than {MAX_ANSWER_BYTES} bytes"
                + (f" after {self.kind} decoding" if self.kind else "")
                + "; not read"
            )

    def feed(self, data: bytes) -> None:
        if not self.kind:
            self._take(data)
            return
        while data:
            if self._inflate is None:
                if self.kind == "gzip":
                    wbits = 16 + zlib.MAX_WBITS
                else:  # deflate: zlib-wrapped as the spec says, or raw as some servers send
                    zlib_header = len(data) > 1 and (data[0] * 256 + data[1]) % 31 == 0
                    wbits = zlib.MAX_WBITS if zlib_header and data[0] & 0x0F == 8 else -15
                self._inflate = zlib.decompressobj(wbits)
                self._ended = False
            try:
                piece = self._inflate.decompress(data, MAX_ANSWER_BYTES - len(self.out) + 1)
            except zlib.error as exc:
                raise OParlImportError(
                    f"{show(self.url)}: broken {self.kind} data ({exc})"
                ) from None
            self._take(piece)
            if self._inflate.eof:  # a gzip file may hold several members, one after another
                data = self._inflate.unused_data
                self._inflate, self._ended = None, True
            else:
                data = self._inflate.unconsumed_tail

    def finish(self) -> bytes:
        if self._inflate is not None:
            try:
                self._take(self._inflate.flush(MAX_ANSWER_BYTES - len(self.out) + 1))
            except zlib.error as exc:
                raise OParlImportError(
                    f"{show(self.url)}: broken {self.kind} data ({exc})"
                ) from None
            if not self._inflate.eof:
                raise _RetryableError(f"the answer ended inside its {self.kind} data")
        return bytes(self.out)


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_PAIR = re.compile(r"\[\]|\{\}")


def check_depth(text: str, url: str) -> None:
    """Refuse JSON nested deeper than :data:`MAX_JSON_DEPTH` before parsing it (the
    parser would recurse into it). Strings out, brackets only, innermost pairs
    removed once per level: at most MAX_JSON_DEPTH linear passes."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    matched = 1
    for _ in range(MAX_JSON_DEPTH):
        if not brackets or not matched:
            break
        brackets, matched = _PAIR.subn("", brackets)
    if brackets:
        what = (
            f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
            if matched
            else "not JSON (brackets that do not match)"
        )
        raise OParlImportError(f"{show(url)}: {what}; not read")


def parse_json(text: str, url: str, warn: Warn) -> Any:
    """JSON with bounded depth; unescaped control characters are read leniently, with a warning."""
    text = text.lstrip("\ufeff")
    check_depth(text, url)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    except (ValueError, RecursionError) as exc:  # e.g. an integer of 5,000 digits
        raise OParlImportError(f"{show(url)}: not JSON ({exc})") from None
    try:
        data = json.loads(text, strict=False)
    except (ValueError, RecursionError) as exc:
        raise OParlImportError(f"{show(url)}: not JSON ({exc})") from None
    warn(
        url,
        "invalid JSON (unescaped control characters in strings), a bug in the OParl "
        "implementation; read leniently",
    )
    return data


_REDIRECTS = (301, 302, 303, 307, 308)


class Client:
    """Polite, guarded OParl HTTP: rate limit, per-answer timeout and run deadline,
    retries with backoff, checked URLs and addresses, capped answers, lenient JSON."""

    def __init__(
        self,
        warn: Warn,
        politeness: Politeness | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.warn = warn
        self.politeness = politeness or Politeness()
        self.sleep = sleep
        self.requests = 0
        self.pages_read = 0
        self.deadline = time.monotonic() + self.politeness.deadline_s
        #: Origins the person running the import named: any address is allowed there.
        self.trusted: set[tuple[str, str, int]] = set()
        #: The URL last asked for, to name it if its data turns out unusable.
        self.last_url = ""
        #: getaddrinfo results for the URL being asked: checked, then connected to.
        self._resolved: list[tuple[Any, ...]] = []
        self._last_start: float | None = None
        # None: not known yet; True: this server wants modified_since unencoded (Somacos).
        self._unencoded_since: bool | None = None
        self._objects: dict[str, dict[str, Any] | None] = {}
        self._retry_after = ""

    def trust(self, url: str) -> None:
        """Allow ``url``'s origin whatever its address (the URL given on the command line)."""
        if url_problem(url) is None:
            self.trusted.add(_origin(urlsplit(url)))

    # time

    def remaining(self, url: str) -> float:
        """Seconds left of the run; at the deadline the run ends naming ``url``."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise OParlImportError(
                f"{show(url)}: the run's deadline of {self.politeness.deadline_s:g} s "
                "(--deadline) passed"
            )
        return left

    def _sleep(self, seconds: float, url: str) -> None:
        if seconds <= 0:
            return
        if seconds >= self.remaining(url):
            raise OParlImportError(
                f"{show(url)}: the run's deadline of {self.politeness.deadline_s:g} s "
                f"(--deadline) would pass while waiting {seconds:g} s to ask again"
            )
        self.sleep(seconds)

    def _wait_turn(self, url: str) -> None:
        if self._last_start is not None:
            self._sleep(self.politeness.delay_s - (time.monotonic() - self._last_start), url)
        self._last_start = time.monotonic()

    # raw requests

    def fetch(self, url: str) -> Answer:
        """GET ``url``; retry 5xx, 429 and connection failures with exponential backoff."""
        problem = url_problem(url)
        if problem:
            raise OParlImportError(f"{show(url)}: {problem}")
        self.last_url = url
        p = self.politeness
        reason = ""
        for attempt in range(p.retries + 1):
            if attempt:
                self._sleep(self._backoff(attempt), url)
            self._wait_turn(url)
            self.requests += 1
            try:
                answer = self._get(url)
            except _RetryableError as exc:
                reason = str(exc)
                continue
            if answer.status >= 500 or answer.status == 429:
                reason = f"HTTP {answer.status}"
                self._retry_after = answer.headers.get("Retry-After", "")
                continue
            if attempt:
                self.warn(url, f"{reason}, answered on retry {attempt} (retried with backoff)")
            return answer
        raise OParlImportError(f"{show(url)}: {reason}, still after {p.retries} retries")

    def _get(self, url: str) -> Answer:
        """One request, following redirects that pass the same checks as any URL."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(current)
            refused = self._refused_address(parts)
            if refused is not None and current != url:
                raise OParlImportError(
                    f"{show(url)}: redirected to {show(current)}, {refused}; not followed"
                )
            if refused is not None:
                raise OParlImportError(f"{show(url)}: {refused}; not requested")
            answer = self._exchange(parts, current)
            location = answer.headers.get("Location")
            if answer.status not in _REDIRECTS or not location:
                return answer
            following = urljoin(current, location.strip())
            problem = url_problem(following)
            if problem:
                raise OParlImportError(
                    f"{show(url)}: redirected to {show(following)}, {problem}; not followed"
                )
            current = following
        raise OParlImportError(f"{show(url)}: more than {MAX_REDIRECTS} redirects; not followed")

    def _addresses(self, parts: SplitResult) -> list[tuple[Any, ...]]:
        """getaddrinfo for the host, bounded in time (a name lookup has no timeout of its own)."""
        host = (parts.hostname or "").encode("idna").decode("ascii")
        port = _origin(parts)[2]
        found: dict[str, Any] = {}

        def lookup() -> None:
            try:
                found["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                found["error"] = exc

        worker = threading.Thread(target=lookup, daemon=True)
        worker.start()
        worker.join(min(self.politeness.timeout_s, self.remaining(parts.geturl())))
        if worker.is_alive():
            raise _RetryableError("no answer (the name lookup timed out)")
        if "error" in found:
            raise _RetryableError(f"no answer ({_why(found['error'])})")
        infos: list[tuple[Any, ...]] = found["infos"]
        return infos

    def _refused_address(self, parts: SplitResult) -> str | None:
        """Why this URL's host is not asked (None: it may be). Resolved here and
        remembered, so the connection goes to exactly the addresses checked."""
        self._resolved = self._addresses(parts)
        if self.politeness.allow_private_hosts or _origin(parts) in self.trusted:
            return None
        for info in self._resolved:
            problem = address_problem(str(info[4][0]))
            if problem:
                return (
                    f"its host {parts.hostname} is {info[4][0]}, {problem} "
                    "(--allow-private-hosts allows it)"
                )
        return None

    def _exchange(self, parts: SplitResult, url: str) -> Answer:
        """GET on a fresh connection to a checked address; the whole answer within the
        timeout (a watchdog closes a trickling connection) and within the run's deadline."""
        limit = min(self.politeness.timeout_s, self.remaining(url))
        sock: socket.socket | None = None
        failure: BaseException | None = None
        for family, kind, proto, _, address in self._resolved:
            candidate = socket.socket(family, kind, proto)
            candidate.settimeout(limit)
            try:
                candidate.connect(address)
            except OSError as exc:
                candidate.close()
                failure = exc
                continue
            sock = candidate
            break
        if sock is None:
            raise _RetryableError(f"no answer ({_why(failure) if failure else 'no address'})")
        scheme, host, port = _origin(parts)
        connection_class = (
            http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        )
        conn = connection_class(host.encode("idna").decode("ascii"), port, timeout=limit)
        connected = sock
        conn._create_connection = lambda *args, **kwargs: connected  # type: ignore[attr-defined]
        cut = threading.Event()

        def watchdog() -> None:
            cut.set()
            try:
                connected.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        timer = threading.Timer(limit, watchdog)
        timer.daemon = True
        timer.start()
        try:
            conn.putrequest("GET", _target(parts), skip_accept_encoding=True)
            conn.putheader("User-Agent", USER_AGENT)
            conn.putheader("Accept", "application/json")
            conn.putheader("Accept-Encoding", "gzip, deflate")
            conn.putheader("Connection", "close")
            conn.endheaders()
            response = conn.getresponse()
            body = self._body(response, url)
            if cut.is_set():
                raise OSError("cut")
            return Answer(response.status, response.headers, body)
        except (OSError, http.client.HTTPException) as exc:
            if cut.is_set():
                self.remaining(url)  # the deadline, if that is what ran out
                raise _RetryableError(f"no complete answer within {limit:g} s") from None
            raise _RetryableError(f"no answer ({_why(exc)})") from None
        finally:
            timer.cancel()
            conn.close()
            sock.close()

    def _body(self, response: http.client.HTTPResponse, url: str) -> bytes:
        length = (response.getheader("Content-Length") or "").strip()
        if length.isdigit() and int(length) > MAX_ANSWER_BYTES:
            raise OParlImportError(
                f"{show(url)}: answer of {int(length)} bytes, larger than {MAX_ANSWER_BYTES}; "
                "not read"
            )
        decoder = _Decoder(response.getheader("Content-Encoding") or "", url)
        received = 0
        while chunk := response.read1(65536):
            received += len(chunk)
            if received > MAX_ANSWER_BYTES:
                raise OParlImportError(
                    f"{show(url)}: answer larger than {MAX_ANSWER_BYTES} bytes; not read"
                )
            decoder.feed(chunk)
            self.remaining(url)
        return decoder.finish()

    def _backoff(self, attempt: int) -> float:
        wait: float = self.politeness.backoff_s * 2.0 ** (attempt - 1)
        retry_after, self._retry_after = self._retry_after, ""
        if retry_after.isdigit():  # the server's own wish, within reason
            wait = max(wait, min(float(retry_after), 60.0))
        return wait

    def json(self, url: str, answer: Answer) -> Any:
        """The answer's JSON (bounded depth; control characters read leniently, with a warning)."""
        return parse_json(answer.body.decode("utf-8", errors="replace"), url, self.warn)

    # OParl objects and lists

    def object(self, url: str, *, required: bool = False) -> dict[str, Any] | None:
        """One OParl object by its URL (cached for the run); None if the server has none."""
        if url in self._objects:
            return self._objects[url]
        answer = self.fetch(url)
        if answer.status != 200:
            if required:
                raise OParlImportError(f"{show(url)}: HTTP {answer.status}")
            self.warn(url, f"HTTP {answer.status} for an object the server links to; skipped")
            self._objects[url] = None
            return None
        data: dict[str, Any] | None = self.json(url, answer)
        if not isinstance(data, dict):
            if required:
                raise OParlImportError(f"{show(url)}: not an OParl object")
            self.warn(url, "not an OParl object (a JSON object was expected); skipped")
            data = None
        self._objects[url] = data
        return data

    def pages(self, url: str, since: str | None = None) -> Iterator[dict[str, Any]]:
        """Every object of a paginated OParl list, following ``links.next``."""
        seen: set[str] = set()
        next_url: str | None = url
        while next_url:
            if next_url in seen:
                self.warn(next_url, "links.next points back to a page already read; list ended")
                return
            seen.add(next_url)
            self.pages_read += 1
            if self.pages_read > self.politeness.max_pages:
                raise OParlImportError(
                    f"{show(next_url)}: more than {self.politeness.max_pages} list pages in "
                    "this run (--max-pages); the server's 'next' links may never end"
                )
            page = self._page(next_url, since)
            for item in as_list(page.get("data"), next_url, "data", self.warn):
                if isinstance(item, dict):
                    yield item
                else:
                    self.warn(next_url, "a list entry that is not an object; skipped")
            links = page.get("links")
            following = links.get("next") if isinstance(links, dict) else None
            next_url = following if isinstance(following, str) and following else None

    def _page(self, url: str, since: str | None) -> dict[str, Any]:
        asked = url
        if since and "modified_since" not in parse_qs(urlsplit(url).query):
            asked = _with_query(url, "modified_since", since, encoded=not self._unencoded_since)
        answer = self.fetch(asked)
        if answer.status == 404 and since and self._unencoded_since is None and asked != url:
            # Somacos answers 404 to a percent-encoded modified_since and wants it verbatim.
            plain = _with_query(url, "modified_since", since, encoded=False)
            retry = self.fetch(plain)
            if retry.status == 200:
                self._unencoded_since = True
                self.warn(
                    url,
                    "HTTP 404 for the percent-encoded modified_since, 200 for it unencoded; "
                    "sending it unencoded to this server from now on",
                )
                asked, answer = plain, retry
            else:  # not that server's bend: the first answer stands
                self._unencoded_since = False
        if answer.status == 404 and since:
            try:
                error = parse_json(
                    answer.body.decode("utf-8", errors="replace"), asked, lambda *_: None
                )
            except OParlImportError:
                error = None
            if isinstance(error, dict):
                # SD.NET RIM: an empty list under modified_since is a 404 with a JSON error.
                self.warn(
                    asked,
                    "HTTP 404 with a JSON error for a list asked with modified_since; "
                    "read as an empty list",
                )
                return {"data": []}
        if answer.status != 200:
            raise OParlImportError(f"{show(asked)}: HTTP {answer.status} for a list page")
        data = self.json(asked, answer)
        if isinstance(data, list):
            what = "[] instead of a list object" if not data else "a bare array, not a list object"
            self.warn(asked, f"{what}; read as one page")
            return {"data": data}
        if not isinstance(data, dict) or "data" not in data:
            raise OParlImportError(f"{show(asked)}: not an OParl list (no 'data')")
        return data


def _why(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        exc = reason
    if isinstance(exc, TimeoutError):
        return "timed out"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _with_query(url: str, name: str, value: str, *, encoded: bool) -> str:
    """Append ``name=value``; by hand, because some servers want the value unencoded."""
    sep = "&" if urlsplit(url).query else ("" if url.endswith("?") else "?")
    return f"{url}{sep}{name}={quote(value, safe='') if encoded else value}"


def as_list(value: Any, url: str, name: str, warn: Warn) -> list[Any]:
    """An array field; a single object where an array is required is wrapped, with a warning."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    warn(url, f"'{name}' is a single value where the spec requires an array; wrapped in a list")
    return [value]


# --- values -------------------------------------------------------------------------


def fold(text: str) -> str:
    """Case, umlauts, punctuation and spacing folded: "GRÜNE-infra" finds "Grüne Infra"."""
    text = text.lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def slug(text: str) -> str:
    """A table id: [a-z0-9-], umlauts spelled out, at most 80 characters."""
    return fold(text).replace(" ", "-")[:80].strip("-") or "x"


def day(value: Any) -> str:
    """YYYY-MM-DD of an OParl date or date-time, as written (no time-zone shift);
    '' unless it is a real day (a server's 2023-02-30 is no date)."""
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return ""
    return ""


_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def stamp_value(value: Any) -> str:
    """An OParl ``modified`` as written, if it is an xsd:dateTime the tables accept; else ''."""
    text = value.strip() if isinstance(value, str) else ""
    return text if _DATE_TIME.fullmatch(text) and instant(text) is not None else ""


def instant(value: str) -> datetime | None:
    """An OParl date-time as an aware datetime (none given: UTC); None if unreadable."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def since_value(text: str) -> str:
    """--since as sent in modified_since: a date means its midnight UTC."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC).isoformat()
    parsed = instant(text)
    if parsed is None:
        raise ValueError(f"--since: not a date or date-time: {text!r}")
    return parsed.isoformat()


#: Control characters, line separators and the bidirectional overrides (which can
#: make a terminal or a page show text in another order than it has).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def _text(value: Any) -> str:
    """A server's text as one line: control characters and runs of space as one space."""
    return " ".join(_CONTROL.sub(" ", value).split()) if isinstance(value, str) else ""


def names_charta(paper: dict[str, Any]) -> bool:
    """Whether the paper names the Charta in its title or in the text of a file it
    embeds (case, umlauts and punctuation folded): what ties it to the Charta.
    A search hit alone does not (``--search Haushaltssatzung`` finds budgets)."""
    needle = fold(CHARTA)
    texts = [paper.get("name")]
    for file in [paper.get("mainFile"), *_listed(paper.get("auxiliaryFile"))]:
        if isinstance(file, dict):
            texts.append(file.get("text"))
    return any(isinstance(t, str) and needle in fold(t) for t in texts)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def paper_label(paper: dict[str, Any]) -> str:
    """A paper as a person recognises it: reference and title."""
    reference = _text(paper.get("reference"))
    title = _text(paper.get("name"))
    if len(title) > 120:
        title = title[:119] + "…"
    return f"{reference} „{title}“".strip() if title else reference or "(no reference, no title)"


_DECLINED = re.compile(r"\babgelehnt\b|\bnicht beschlossen\b|\bnicht zugestimmt\b")
_DECIDED = re.compile(r"beschlossen|\bzugestimmt\b|\bangenommen\b")


def outcome(result: str) -> str | None:
    """'beschlossen', 'abgelehnt' or None from an agenda item's result text."""
    folded = fold(result)
    if _DECLINED.search(folded):
        return "abgelehnt"
    if _DECIDED.search(folded):
        return "beschlossen"
    return None


def consultation_role(role: str, authoritative: bool) -> str:
    """Our beratungsrolle value for a consultation ('' when neither role nor flag says)."""
    r = fold(role)
    if "vorberat" in r:
        return "vorberatung"
    if "empfehl" in r:
        return "empfehlungsbeschluss"
    if authoritative or "entscheid" in r or "beschlussfassung" in r:
        return "entscheidung"
    return ""


def organization_kind(org: dict[str, Any]) -> str:
    """'parlament' or 'ausschuss' from an Organization's classification ('' otherwise)."""
    c = fold(f"{_text(org.get('classification'))} {_text(org.get('organizationType'))}")
    name = fold(_text(org.get("name")))
    if "parlament" in c or "hauptorgan" in c or name.startswith(("rat ", "kreistag")):
        return "parlament"
    if "ausschuss" in c or "bezirksvertretung" in c or "beirat" in c:
        return "ausschuss"
    return ""


def body_kind(classification: str) -> str:
    """Our organisationsart value for an OParl Body's classification ('' when it does not say)."""
    c = fold(classification)
    if "kreisfrei" in c:
        return "kreisfreie-stadt"
    if "kreisangehoerig" in c or c in {"stadt", "gemeinde", "grosse kreisangehoerige stadt"}:
        return "kreisangehoerige-kommune"
    if c in {"kreis", "landkreis"}:
        return "kreis"
    if "verband" in c:
        return "kommunalverband"
    return ""


# --- tables -------------------------------------------------------------------------

Row = dict[str, str]


@dataclass
class Table:
    """One register CSV: its header (contract columns first, then any extra) and rows."""

    name: str
    path: Path
    header: list[str]
    rows: list[Row]
    original: bytes | None = None
    newline: str = "\n"
    bom: bool = False
    #: The rows as read, for the report of what changed.
    before: list[Row] = field(default_factory=list)
    #: id() of the rows this run added.
    added: set[int] = field(default_factory=set)
    #: id() of each row read -> its values as read, to tell which rows this run touched.
    snapshot: dict[int, Row] = field(default_factory=dict)
    #: The row objects as read, kept alive so that their id() is never reused.
    read: list[Row] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.before = [dict(row) for row in self.rows]
        self.snapshot = {id(row): dict(row) for row in self.rows}
        self.read = list(self.rows)

    def touched(self, row: Row) -> bool:
        """Added or changed by this run."""
        return id(row) in self.added or self.snapshot.get(id(row)) != row

    @classmethod
    def load(cls, root: Path, name: str) -> Table:
        path = root / REGISTER / f"{name}.csv"
        columns = COLUMNS[name]
        if not path.exists():
            return cls(name, path, list(columns), [])
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8")
        except OSError as exc:
            raise OParlImportError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise OParlImportError(
                f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})"
            ) from None
        bom = text.startswith("\ufeff")
        text = text.lstrip("\ufeff")
        newline = "\r\n" if "\r\n" in text else "\n"
        try:
            records = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise OParlImportError(f"{path}: not CSV ({exc})") from None
        if not records:
            return cls(name, path, list(columns), [], raw, newline, bom)
        header = records[0]
        missing = [c for c in columns if c not in header]
        if missing:
            raise OParlImportError(
                f"{path}:1: the header lacks the column(s) {', '.join(missing)} "
                f"(the import writes {','.join(columns)}; found {','.join(header)})"
            )
        if len(set(header)) < len(header):
            raise OParlImportError(f"{path}:1: a column name occurs twice")
        rows = []
        for line, record in enumerate(records[1:], start=2):
            if not any(record):
                continue
            if len(record) > len(header):
                raise OParlImportError(f"{path}:{line}: {len(record)} cells, {len(header)} columns")
            rows.append(dict(zip(header, record + [""] * (len(header) - len(record)), strict=True)))
        return cls(name, path, header, rows, raw, newline, bom)

    def render(self, lines: dict[int, Row] | None = None) -> bytes:
        """The file's bytes; ``lines`` (if given) gets the line each row starts on."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator=self.newline)
        writer.writerow(self.header)
        # Rows read from the file keep their order (the office's); rows the import adds
        # follow them, sorted, so the same input always gives the same bytes.
        kept = [row for row in self.rows if id(row) not in self.added]
        fresh = sorted((r for r in self.rows if id(r) in self.added), key=SORT_KEYS[self.name])
        one = io.StringIO()
        row_writer = csv.writer(one, lineterminator=self.newline)
        line = 2
        for row in kept + fresh:
            if lines is not None:
                lines[line] = row
            row_writer.writerow([row.get(column, "") for column in self.header])
            text = one.getvalue()
            one.seek(0)
            one.truncate()
            out.write(text)
            line += text.count("\n")  # a quoted cell may span lines
        return ("\ufeff" if self.bom else "").encode() + out.getvalue().encode("utf-8")

    def changed(self) -> bool:
        rendered = self.render()
        return rendered != self.original and not (self.original is None and not self.rows)


SORT_KEYS: dict[str, Callable[[Row], tuple[str, ...]]] = {
    "institutionen": lambda r: (r["id"],),
    "beitritte": lambda r: (r["id"],),
    "beratungen": lambda r: (r["beitritt"], r["datum"], r["oparl_id"], r["gremium"], r["rolle"]),
}


def row_key(table: str, row: Row) -> str:
    """What names a row in a dry run's report."""
    if table == "beratungen":
        return row["oparl_id"] or f"{row['beitritt']} {row['datum']} {row['gremium']}".strip()
    return row["id"]


def row_label(table: str, row: Row) -> str:
    """What a reviewer needs to recognise a row: a paper's reference and title, a
    body's name, a consultation's joining, day, body and whether it was held."""
    if table == "institutionen":
        return row.get("name", "")
    if table == "beratungen":
        parts = [row.get(c, "") for c in ("beitritt", "datum", "gremium", "rolle")]
        held = row.get("sitzungsstatus", "")
        return ", ".join(p for p in [*parts, held, row.get("ergebnis", "")] if p)
    title = row.get("vorlage_titel", "")
    label = f"{row.get('vorlage', '')} „{title}“" if title else row.get("vorlage", "")
    if row.get("bestaetigt") == "nein":
        label += " (candidate, bestaetigt=nein)"
    elif row.get("bestaetigt") == "ja":
        label += " (confirmed, bestaetigt=ja)"
    return label.strip()


@dataclass
class TableChange:
    table: str
    added: list[str] = field(default_factory=list)
    changed: list[tuple[str, list[str]]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: row key -> :func:`row_label`, for every row named above.
    labels: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed"


def diff(table: Table) -> TableChange:
    """Rows added, changed (with the columns) and removed since the file was read."""
    old = {row_key(table.name, r): r for r in table.before}
    new = {row_key(table.name, r): r for r in table.rows}
    change = TableChange(table.name)
    for key in sorted(new):
        if key not in old:
            change.added.append(key)
        elif new[key] != old[key]:
            columns = [c for c in table.header if new[key].get(c, "") != old[key].get(c, "")]
            if columns:
                change.changed.append((key, columns))
    change.removed = sorted(set(old) - set(new))
    for key in change.added + [k for k, _ in change.changed]:
        change.labels[key] = row_label(table.name, new[key])
    for key in change.removed:
        change.labels[key] = row_label(table.name, old[key])
    return change


# --- the import ---------------------------------------------------------------------


@dataclass
class ImportResult:
    bodies: int = 0
    papers: int = 0
    removed_papers: int = 0
    requests: int = 0
    #: Papers the search found that do not name the Charta (reference and title): not written.
    not_charta: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: list[TableChange] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


class Importer:
    """One run against one system, on the tables of one project."""

    def __init__(
        self,
        root: Path,
        client: Client,
        *,
        search: str = DEFAULT_SEARCH,
        since: str | None = None,
        dry_run: bool = False,
        checked_on: str | None = None,
    ) -> None:
        self.root = root
        self.client = client
        self.warn = client.warn
        self.needle = fold(search)
        if not self.needle:
            raise ValueError("--search: empty after folding case and punctuation")
        self.since = since_value(since) if since else None
        #: ``stand`` of the rows this run writes: the day their state was checked.
        self.checked_on = checked_on or today()
        self.recovered = recover(root / REGISTER, dry_run=dry_run)
        self.tables = {name: Table.load(root, name) for name in COLUMNS}
        self.result = ImportResult()
        #: institution id -> (row, values from the body, new?): written with a first joining.
        self._pending: dict[str, tuple[Row, Row, bool]] = {}

    @property
    def institutionen(self) -> list[Row]:
        return self.tables["institutionen"].rows

    @property
    def beitritte(self) -> list[Row]:
        return self.tables["beitritte"].rows

    @property
    def beratungen(self) -> list[Row]:
        return self.tables["beratungen"].rows

    def check_with_register(self, namespace: str) -> None:
        """The register's own reading (``server.pipeline.register.convert``: the CSVW metadata's
        formats, required cells, keys and references) of the tables exactly as this
        run would write them, beside :meth:`check`: a problem in a row this run added
        or changed, or in the header of a table it writes, stops the run. Done where
        the project has the metadata (``data/register/csv-metadata.json``)."""
        import shutil
        import tempfile

        folder = self.root / REGISTER
        metadata = folder / METADATA
        changed = [t for t in self.tables.values() if t.changed()]
        if not metadata.is_file() or not changed:
            return
        touched: dict[tuple[str, int], tuple[Table, Row]] = {}
        with tempfile.TemporaryDirectory(prefix="charta-import-check-") as scratch:
            staged = Path(scratch)
            for path in folder.glob("*"):
                if path.is_file() and not path.name.startswith("."):
                    shutil.copyfile(path, staged / path.name)
            for table in changed:
                lines: dict[int, Row] = {}
                (staged / table.path.name).write_bytes(table.render(lines))
                for line, row in lines.items():
                    if table.touched(row):
                        touched[(table.path.name, line)] = (table, row)
            try:
                conversion = convert(staged / METADATA, namespace, self.root)
            except RegisterError as exc:
                where = folder / exc.path.name
                at = f"{where}:{exc.line}" if exc.line else str(where)
                raise OParlImportError(
                    f"{at}: {exc.message} (the tables as this run would write them)"
                ) from None
        names = {t.path.name for t in changed}
        problems = []
        for problem in conversion.problems:
            if problem.severity != "Violation":
                continue  # a warning (a column the metadata does not know, a far-off year)
            hit = touched.get((problem.file.name, problem.line))
            if hit is not None:
                table, row = hit
                problems.append(
                    f"{show(_row_source(row, table))}: {table.name}.csv, row "
                    f"{row_key(table.name, row)}, {problem.column}: {problem.en} "
                    "(the register's own check)"
                )
            elif problem.line <= 1 and problem.file.name in names:
                problems.append(
                    f"{folder / problem.file.name}:1: {problem.column}: {problem.en} "
                    "(the register's own check)"
                )
        if problems:
            more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise OParlImportError("\n".join(problems[:20]) + more)

    # walking the system

    def run(self, system_url: str, body_filter: str | None = None) -> ImportResult:
        system = self.client.object(system_url, required=True)
        assert system is not None
        if not isinstance(system.get("body"), str):
            raise OParlImportError(f"{system_url}: not an OParl System (no 'body' list URL)")
        bodies = list(self.client.pages(system["body"]))
        chosen = [b for b in bodies if _body_matches(b, body_filter)] if body_filter else bodies
        if body_filter and not chosen:
            names = ", ".join(sorted(_text(b.get("shortName") or b.get("name")) for b in bodies))
            raise OParlImportError(f"{system_url}: no body {body_filter!r} (bodies: {names})")
        for body in chosen:
            url = body.get("id")
            if not isinstance(url, str) or not url:
                self.warn(system["body"], "a body without an id; skipped")
                continue
            self.result.bodies += 1
            self._body(body, url)
        self.result.requests = self.client.requests
        self.result.changes = [diff(t) for t in self.tables.values() if t.changed()]
        return self.result

    # checking before writing

    def check(self) -> None:
        """Every row this run added or changed, against the table contract (the
        register's formats, value lists and rules): one bad cell and nothing is written.
        What the server sent is refused here, not repaired: a ``javascript:`` link or
        a name a spreadsheet would run as a formula names its row and stops the run."""
        problems: list[str] = []
        for name, table in self.tables.items():
            for row in table.rows:
                if table.touched(row):
                    problems += [
                        f"{show(_row_source(row, table))}: {name}.csv, row "
                        f"{row_key(name, row)}, {column}: {what}"
                        for column, what in row_problems(name, row)
                    ]
        if problems:
            more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
            raise OParlImportError("\n".join(problems[:20]) + more)

    def _body(self, body: dict[str, Any], url: str) -> None:
        if body.get("deleted"):
            inst = self._find_institution(body, url)
            if inst is not None:
                for row in [r for r in self.beitritte if r["institution"] == inst["id"]]:
                    if row["oparl_id"]:
                        gone = "its body was deleted on the server"
                        self._remove_paper(row["oparl_id"], why=gone)
                        self.result.removed_papers += 1
                self._remove_body(inst, url)
            return
        inst_id = self._institution(body, url)  # written with its first joining
        known = {
            r["oparl_id"] for r in self.beitritte if r["institution"] == inst_id and r["oparl_id"]
        }
        since = self.since or self._newest(inst_id)
        papers: dict[str, dict[str, Any]] = {}
        deleted: set[str] = set()
        paper_list = body.get("paper")
        if isinstance(paper_list, str):
            for paper in self.client.pages(paper_list, since):
                pid = paper.get("id")
                if not isinstance(pid, str) or not pid:
                    self.warn(paper_list, "a paper without an id; skipped")
                elif paper.get("deleted"):
                    deleted.add(pid)
                elif pid in known or self._matches(paper):
                    papers[pid] = paper
        else:
            self.warn(url, "the body has no paper list; nothing to import from it")
        # Papers already in the register are read again: a decision is recorded on the
        # meeting's agenda item, which need not change the paper's 'modified'.
        for pid in sorted(known - set(papers) - deleted):
            again = self.client.object(pid)
            if again is None:
                continue  # warned; its rows stay as they are
            if again.get("deleted"):
                deleted.add(pid)
            else:
                papers[pid] = again
        for pid in sorted(deleted & known):
            self._remove_paper(pid, why="deleted on the server")
            self.result.removed_papers += 1
        for pid in sorted(papers):
            self._paper(papers[pid], pid, inst_id)

    def _remove_body(self, inst: Row, url: str) -> None:
        """A deleted body's rows: its committees imported from this system that no row
        names any more, then its own row if the import made it and nothing names it."""
        host = urlsplit(url).netloc

        def named(ident: str) -> bool:
            return any(
                ident in (r.get("institution"), r.get("gremium"), r.get("traeger"))
                for t in ("beitritte", "beratungen")
                for r in self.tables[t].rows
            )

        for row in [r for r in self.institutionen if r.get("teil_von") == inst["id"]]:
            sources = row["quelle"].split()
            if len(sources) == 1 and urlsplit(sources[0]).netloc == host and not named(row["id"]):
                self.institutionen.remove(row)
        if inst["quelle"] == url and not named(inst["id"]):
            if not any(r.get("teil_von") == inst["id"] for r in self.institutionen):
                self.institutionen.remove(inst)

    def _matches(self, paper: dict[str, Any]) -> bool:
        return any(self.needle in fold(_text(paper.get(key))) for key in ("name", "reference"))

    def _newest(self, inst_id: str) -> str | None:
        """The newest oparl_modified of this institution's imported rows, for modified_since."""
        ids = {r["id"] for r in self.beitritte if r["institution"] == inst_id and r["oparl_id"]}
        stamps = [r["oparl_modified"] for r in self.beitritte if r["id"] in ids]
        stamps += [r["oparl_modified"] for r in self.beratungen if r["beitritt"] in ids]
        parsed = [p for p in (instant(s) for s in stamps if s) if p is not None]
        return max(parsed).isoformat() if parsed else None

    # institutions

    def _find_institution(self, body: dict[str, Any], url: str) -> Row | None:
        for row in self.institutionen:
            if url in row["quelle"].split():
                return row
        ags = _ags(body, url, lambda *_: None)
        if ags:
            for row in self.institutionen:
                if row["ags"] == ags:
                    return row
        return None

    def _institution(self, body: dict[str, Any], url: str) -> str:
        """The institution row of a body; a new one, or the body's values, are written
        only with the body's first joining (a body without one changes no table)."""
        values = {
            "name": _text(body.get("name")) or _text(body.get("shortName")),
            "art": body_kind(_text(body.get("classification"))),
            "ags": _ags(body, url, self.warn),
            "quelle": url,
        }
        row = self._find_institution(body, url)
        new = row is None
        if row is None:
            base = slug(_text(body.get("shortName")) or values["name"] or url.rstrip("/"))
            taken = {r["id"] for r in self.institutionen} | set(self._pending)
            row = self._new_row("institutionen", _unique(base, taken))
        self._pending[row["id"]] = (row, values, new)
        return row["id"]

    def _commit_institution(self, inst_id: str) -> None:
        if inst_id not in self._pending:
            return
        row, values, new = self._pending.pop(inst_id)
        if new:
            self._add("institutionen", row)
        _merge(row, values, owned=row["quelle"] in ("", values["quelle"]))

    def _gremium(self, org: dict[str, Any], url: str, inst_id: str) -> str:
        """The institution row of an OParl Organization (a council, a committee) of a body."""
        name = _text(org.get("name")) or _text(org.get("shortName"))
        if not name:
            return ""
        values = {"name": name, "art": organization_kind(org), "quelle": url}
        if "teil_von" in self.tables["institutionen"].header:
            values["teil_von"] = inst_id
        row = next((r for r in self.institutionen if url in r["quelle"].split()), None)
        if row is None:  # the office's row for the same committee of the same institution
            row = next(
                (
                    r
                    for r in self.institutionen
                    if fold(r["name"]) == fold(name) and r.get("teil_von") == inst_id
                ),
                None,
            )
        if row is None:
            base = slug(name)
            if inst_id not in base:
                base = f"{base}-{inst_id}"
            taken = {r["id"] for r in self.institutionen} | set(self._pending)
            row = self._new_row("institutionen", _unique(base, taken))
            self._add("institutionen", row)
        _merge(row, values, owned=row["quelle"] in ("", url))
        return row["id"]

    # papers

    def _paper(self, paper: dict[str, Any], pid: str, inst_id: str) -> None:
        row = self._find_joining(paper, pid, inst_id)
        owned = row is None or row["quelle"] in ("", pid)
        confirmed = row is not None and row.get("bestaetigt") == "ja"
        # A person's row (typed, or confirmed) ties the paper to the Charta by their
        # decision; otherwise the paper must name the Charta itself.
        if owned and not confirmed and not names_charta(paper):
            label = paper_label(paper)
            self.result.not_charta.append(label)
            gone = f"; its candidate row {row['id']} is removed" if row is not None else ""
            self.warn(
                pid,
                f"{label} matches --search but does not name the {CHARTA} in its title "
                f"or text; not written as a joining{gone}",
            )
            if row is not None:
                self._remove_paper(pid, why="it does not name the Charta")
            return
        self._commit_institution(inst_id)
        consultations = []
        for entry in as_list(paper.get("consultation"), pid, "consultation", self.warn):
            if isinstance(entry, str):  # OParl 1.0 servers may link instead of embedding
                entry = self.client.object(entry)
            if isinstance(entry, dict) and not entry.get("deleted"):
                consultations.append(entry)
        rows = [r for r in (self._consultation(c, pid, paper, inst_id) for c in consultations) if r]
        values = self._joining_values(paper, pid, inst_id, rows, row)
        if row is None:
            base = slug(
                f"{inst_id} {_text(paper.get('reference')) or pid.rstrip('/').rsplit('/', 1)[-1]}"
            )
            row = self._new_row("beitritte", _unique(base, {r["id"] for r in self.beitritte}))
            row["bestaetigt"] = "nein"  # a candidate until a person sets ja
            self._add("beitritte", row)
        _merge(row, values, owned=owned)
        if owned and not row["bestaetigt"]:
            row["bestaetigt"] = "nein"
        self.result.papers += 1
        self._consultation_rows(row["id"], rows)
        self._checked(row, owned=owned)

    def _checked(self, row: Row, *, owned: bool) -> None:
        """``stand``: the day this run checked the row's state, where the state is the
        import's (a row it added or changed) or no day is given yet; an unchanged
        row keeps its day, so a second run writes nothing."""
        table = self.tables["beitritte"]
        before = table.snapshot.get(id(row))
        changed = before is None or {k: v for k, v in before.items() if k != "stand"} != {
            k: v for k, v in row.items() if k != "stand"
        }
        if not row["stand"] or (owned and changed):
            row["stand"] = self.checked_on

    def _find_joining(self, paper: dict[str, Any], pid: str, inst_id: str) -> Row | None:
        for row in self.beitritte:
            if row["oparl_id"] == pid:
                return row
        reference = fold(_text(paper.get("reference")))
        if reference:  # a row the office typed in for the same paper is adopted, not doubled
            for row in self.beitritte:
                if (
                    not row["oparl_id"]
                    and row["institution"] == inst_id
                    and fold(row["vorlage"]) == reference
                ):
                    return row
        return None

    def _joining_values(
        self,
        paper: dict[str, Any],
        pid: str,
        inst_id: str,
        rows: list[tuple[Row, bool]],
        existing: Row | None,
    ) -> Row:
        # Only a meeting that recorded the deciding body's result decides; a paper's
        # own date is the day it was filed, never a decision date.
        held = [(r, auth) for r, auth in rows if r["sitzungsstatus"] == "durchgefuehrt"]
        deciding = [(r, auth) for r, auth in rows if auth]
        decided: list[tuple[Row, str]] = [
            (r, o) for r, auth in held if auth and r["datum"] and (o := outcome(r["ergebnis"]))
        ]
        if decided:
            last, status = max(decided, key=lambda d: (d[0]["datum"], d[0]["oparl_id"]))
            gremium, datum = last["gremium"], last["datum"]
        else:
            status = "in-beratung" if held else "vorgeschlagen"
            # the body the Beratungsfolge names to decide (its latest such consultation)
            gremium = max(deciding, key=lambda d: d[0]["datum"])[0]["gremium"] if deciding else ""
            datum = ""
        if (
            existing is not None
            and existing["status"] == "unterzeichnet"
            and status == "beschlossen"
        ):
            status = "unterzeichnet"  # signing is not in OParl: the office's later state stands
        return {
            "institution": inst_id,
            "gremium": gremium,
            "vorlage": _text(paper.get("reference")) or _text(paper.get("name")),
            "vorlage_titel": _text(paper.get("name")),
            "vorlage_url": self._file_url(paper, pid),
            "datum": datum,
            "status": status,
            "quelle": pid,
            "oparl_id": pid,
            "oparl_modified": stamp_value(paper.get("modified")),
        }

    def _file_url(self, paper: dict[str, Any], pid: str) -> str:
        """The paper's document: its main file, else its first auxiliary file, else its web page."""
        files = [
            paper.get("mainFile"),
            *as_list(paper.get("auxiliaryFile"), pid, "auxiliaryFile", self.warn),
        ]
        for file in files:
            if isinstance(file, dict) and not file.get("deleted"):
                for key in ("accessUrl", "downloadUrl"):
                    link = file.get(key)
                    if isinstance(link, str) and link.strip():
                        return link.strip()
        web = paper.get("web")
        return web if isinstance(web, str) and web else pid

    def _consultation(
        self, consultation: dict[str, Any], pid: str, paper: dict[str, Any], inst_id: str
    ) -> tuple[Row, bool] | None:
        cid = consultation.get("id")
        if not isinstance(cid, str) or not cid:
            self.warn(pid, "a consultation without an id; skipped")
            return None
        meeting: dict[str, Any] | None = None
        meeting_url = consultation.get("meeting")
        if isinstance(meeting_url, str) and meeting_url:
            meeting = self.client.object(meeting_url)
            if meeting is not None and meeting.get("deleted"):
                return None  # a deleted meeting takes its consultation row with it
            if meeting is not None and cancelled(meeting):
                self.warn(meeting_url, "the meeting was cancelled; no consultation row for it")
                return None
            if meeting is not None and not meeting.get("id"):
                self.warn(
                    meeting_url,
                    "a meeting without an id; taken as the meeting at the URL the "
                    "consultation names (never matched by name)",
                )
        organizations = as_list(consultation.get("organization"), cid, "organization", self.warn)
        if not organizations and meeting is not None:
            organizations = as_list(
                meeting.get("organization"), meeting_url or cid, "organization", self.warn
            )
        gremium = ""
        for org_url in organizations:
            org = self.client.object(org_url) if isinstance(org_url, str) else org_url
            if isinstance(org, dict) and not org.get("deleted"):
                where = org_url if isinstance(org_url, str) else _text(org.get("id"))
                if where:
                    gremium = self._gremium(org, where, inst_id)
                    break
        authoritative = consultation.get("authoritative") is True
        result = self._result(consultation, cid, meeting, meeting_url)
        held = meeting_state(meeting, result)
        row = {
            "datum": day(meeting.get("start")) if meeting else "",
            "gremium": gremium,
            "rolle": consultation_role(_text(consultation.get("role")), authoritative),
            # a result only from a meeting that took place
            "ergebnis": (outcome(result) or "") if held == "durchgefuehrt" else "",
            "sitzungsstatus": held,
            "quelle": cid,
            "oparl_id": cid,
            "oparl_modified": stamp_value(consultation.get("modified"))
            or stamp_value(paper.get("modified")),
        }
        return row, authoritative

    def _result(
        self,
        consultation: dict[str, Any],
        cid: str,
        meeting: dict[str, Any] | None,
        meeting_url: Any,
    ) -> str:
        """The agenda item's result: the item the consultation names, or the one naming it."""
        if meeting is None:
            return ""
        item_url = consultation.get("agendaItem")
        for item in as_list(meeting.get("agendaItem"), meeting_url, "agendaItem", self.warn):
            if (
                isinstance(item, dict)
                and not item.get("deleted")
                and ((item_url and item.get("id") == item_url) or item.get("consultation") == cid)
            ):
                return _text(item.get("result"))
        return ""

    def _consultation_rows(self, joining: str, rows: list[tuple[Row, bool]]) -> None:
        # beratungen.csv needs a date and a body: a consultation not yet on a meeting's
        # agenda (or whose organisation the server does not give) waits for a later run.
        current = {r["oparl_id"]: r for r, _ in rows if r["datum"] and r["gremium"]}
        table = self.beratungen
        for old in [r for r in table if r["beitritt"] == joining and r["oparl_id"]]:
            if old["oparl_id"] not in current and old["quelle"] == old["oparl_id"]:
                table.remove(old)  # gone from the paper (or deleted, or its meeting deleted)
        for cid in sorted(current):
            values = {"beitritt": joining, **current[cid]}
            row = next((r for r in table if r["oparl_id"] == cid), None)
            if row is None:  # a row the office typed for the same meeting day is adopted
                row = next(
                    (
                        r
                        for r in table
                        if not r["oparl_id"]
                        and r["beitritt"] == joining
                        and r["datum"] == values["datum"]
                        and r["gremium"] == values["gremium"]
                    ),
                    None,
                )
            if row is None:
                row = self._new_row("beratungen")
                self._add("beratungen", row)
            _merge(row, values, owned=row["quelle"] in ("", cid))

    def _remove_paper(self, pid: str, *, why: str) -> None:
        """A paper gone (or not about the Charta): the rows it sourced go; a typed row
        linked to it stays, unlinked; a row a person confirmed stays as it is."""
        for row in [r for r in self.beitritte if r["oparl_id"] == pid]:
            if row["quelle"] == pid and row.get("bestaetigt") == "ja":
                self.warn(
                    pid,
                    f"{why}; row {row['id']} stays, as a person confirmed it "
                    "(bestaetigt=ja): check whether it still holds",
                )
                continue
            for consult in [r for r in self.beratungen if r["beitritt"] == row["id"]]:
                if consult["oparl_id"] and consult["quelle"] == consult["oparl_id"]:
                    self.beratungen.remove(consult)
                elif consult["oparl_id"]:
                    gone = consult["oparl_id"]
                    consult["quelle"] = " ".join(q for q in consult["quelle"].split() if q != gone)
                    consult["oparl_id"] = consult["oparl_modified"] = ""
            if row["quelle"] == pid:
                self.beitritte.remove(row)
            else:
                row["oparl_id"] = row["oparl_modified"] = ""
                row["quelle"] = " ".join(q for q in row["quelle"].split() if q != pid)

    def _add(self, table: str, row: Row) -> None:
        self.tables[table].rows.append(row)
        self.tables[table].added.add(id(row))

    def _new_row(self, table: str, row_id: str | None = None) -> Row:
        row = dict.fromkeys(self.tables[table].header, "")
        if row_id is not None:
            row["id"] = row_id
        return row

    # writing

    def write(self) -> list[Path]:
        """Write every changed table, all together or none.

        Each table goes to a temporary file (synced); a journal naming the
        replacements is synced; then the tables are replaced and the journal removed.
        A failure before the journal leaves the tables as they were; a failure
        while replacing puts back the tables already replaced; a kill while
        replacing leaves the journal, and the next run finishes the replacement
        (:func:`recover`) before it reads the tables. No temporary file stays behind.
        """
        changed = [t for t in self.tables.values() if t.changed()]
        if not changed:
            return []
        folder = self.root / REGISTER
        pid = os.getpid()
        journal = folder / f"{JOURNAL_PREFIX}{pid}.json"
        staged: list[tuple[Path, Table]] = []
        replaced: list[tuple[Path, Table]] = []
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for table in changed:
                temporary = folder / f".{table.name}.import-{pid}.csv.tmp"
                staged.append((temporary, table))
                _write_synced(temporary, table.render())
            pairs = [[t.name, table.path.name] for t, table in staged]
            _write_synced(journal, json.dumps({"replace": pairs}).encode("utf-8"))
            _sync_folder(folder)
            for temporary, table in staged:
                _replace(temporary, table.path)
                replaced.append((temporary, table))
            _sync_folder(folder)
            journal.unlink()
        except OSError as exc:
            what = f"{folder}: cannot write: {exc.strerror or exc}"
            kept = _put_back(replaced)
            if kept:  # the journal and the staged files let the next run finish instead
                raise OParlImportError(
                    f"{what}; putting back {', '.join(kept)} failed too: the next "
                    f"'charta import oparl' finishes the replacement ({journal.name})"
                ) from None
            for temporary, _ in staged:
                temporary.unlink(missing_ok=True)
            journal.unlink(missing_ok=True)
            raise OParlImportError(what) from None
        return [table.path for _, table in staged]


#: The journal of a replacement under way: ``.import-journal-PID.json`` in the folder.
JOURNAL_PREFIX = ".import-journal-"
_STAGED = re.compile(r"\.([a-z]+)\.import-(\d+)\.csv\.tmp")
#: os.replace, named so a test can make it fail or kill the process halfway.
_replace = os.replace


def today() -> str:
    """The day the import runs (UTC): ``stand`` of the rows whose state it checked."""
    return datetime.now(UTC).date().isoformat()


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (where the system can sync a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _put_back(replaced: list[tuple[Path, Table]]) -> list[str]:
    """The tables as they were before this run (or gone, if the run created them);
    returns the names it could not put back."""
    failed = []
    for temporary, table in reversed(replaced):
        try:
            if table.original is None:
                table.path.unlink(missing_ok=True)
            else:
                _write_synced(temporary, table.original)
                os.replace(temporary, table.path)
        except OSError:
            failed.append(table.path.name)
    return failed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process's own leftovers are from a run that already ended
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def recover(folder: Path, *, dry_run: bool = False) -> list[tuple[str, str]]:
    """Finish what a killed run left in ``folder``: a journal's replacements are
    completed (its tables were all written and synced), staged files without a
    journal removed. Runs that are still alive are left alone. A dry run only
    refuses to read tables a killed run left half replaced."""
    notes: list[tuple[str, str]] = []
    if not folder.is_dir():
        return notes
    for journal in sorted(folder.glob(f"{JOURNAL_PREFIX}*.json")):
        digits = journal.name[len(JOURNAL_PREFIX) : -len(".json")]
        if not digits.isdigit() or _alive(int(digits)):
            continue
        if dry_run:
            raise OParlImportError(
                f"{journal}: a killed import left the tables half replaced; run "
                "'charta import oparl' once without --dry-run to finish it"
            )
        try:
            pairs = json.loads(journal.read_text(encoding="utf-8"))["replace"]
            steps = [(folder / str(t), folder / str(p)) for t, p in pairs]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise OParlImportError(f"{journal}: unreadable import journal ({exc})") from None
        for temporary, path in steps:
            if not _STAGED.fullmatch(temporary.name) or not re.fullmatch(r"[a-z]+\.csv", path.name):
                raise OParlImportError(f"{journal}: not an import journal ({temporary.name})")
        try:
            for temporary, path in steps:
                if temporary.exists():
                    os.replace(temporary, path)
            journal.unlink()
        except OSError as exc:
            raise OParlImportError(
                f"{journal}: cannot finish a killed import's replacement: {exc.strerror or exc}"
            ) from None
        notes.append((str(journal), "finished the replacement of tables a killed import left"))
    if not dry_run:
        for staged in folder.glob(".*.import-*.csv.tmp"):
            found = _STAGED.fullmatch(staged.name)
            if found and not _alive(int(found.group(2))):
                staged.unlink(missing_ok=True)
    return notes


_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_HTTP = re.compile(r"https?://\S+")
_SOURCE = re.compile(r"(https?://|id/)\S+")
#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_STATES = {
    "vorgeschlagen",
    "in-beratung",
    "beschlossen",
    "unterzeichnet",
    "abgelehnt",
    "kein-nachweis",
}
_KINDS = {
    "kreis",
    "kreisfreie-stadt",
    "kreisangehoerige-kommune",
    "kommunalverband",
    "parlament",
    "ausschuss",
    "konferenz",
    "verwaltungseinheit",
}
#: column -> rule: "slug", "text", "url", "sources", "date", "stamp", "ags" or a value
#: set; a "!" after a rule: the cell may not be empty.
RULES: dict[str, dict[str, str | set[str]]] = {
    "institutionen": {
        "id": "slug!",
        "name": "text!",
        "art": _KINDS | {""},
        "ags": "ags",
        "quelle": "sources!",
        "teil_von": "slug",
    },
    "beitritte": {
        "id": "slug!",
        "institution": "slug!",
        "gremium": "slug",
        "vorlage": "text",
        "vorlage_titel": "text",
        "vorlage_url": "url",
        "datum": "date",
        "status": _STATES,
        "quelle": "sources!",
        "oparl_id": "url",
        "oparl_modified": "stamp",
        "bestaetigt": {"ja", "nein"},
        "stand": "date",
    },
    "beratungen": {
        "beitritt": "slug!",
        "datum": "date!",
        "gremium": "slug!",
        "rolle": {"vorberatung", "empfehlungsbeschluss", "entscheidung", ""},
        "ergebnis": {"beschlossen", "abgelehnt", ""},
        "sitzungsstatus": {"geplant", "durchgefuehrt"},
        "quelle": "sources!",
        "oparl_id": "url",
        "oparl_modified": "stamp",
    },
}


def cell_problem(rule: str | set[str], value: str) -> str | None:
    """What is wrong with one cell under its rule (None: nothing)."""
    if isinstance(rule, set):
        return None if value in rule else f"is not one of {', '.join(sorted(rule - {''}))}"
    if not value:
        return "is empty" if rule.endswith("!") else None
    kind = rule.rstrip("!")
    if kind == "slug":
        ok = bool(_SLUG.fullmatch(value))
        return None if ok else "is not an id (a-z, 0-9, words joined by '-')"
    if kind == "text":
        if value.startswith(FORMULA_START):
            return (
                f"begins with {value[0]!r}, which a spreadsheet runs as a formula "
                "(the import does not plant formulas in the tables the office opens)"
            )
        if _CONTROL.search(value):
            return "contains control characters"
        return None if len(value) <= MAX_CELL else f"is longer than {MAX_CELL} characters"
    if kind == "url":
        return None if _HTTP.fullmatch(value) else "is not an http(s) URL"
    if kind == "sources":
        ok = all(_SOURCE.fullmatch(v) for v in value.split(" "))
        return None if ok else "is not a list of http(s) URLs or id/… references"
    if kind == "date":
        return None if day(value) == value else "is not a real date YYYY-MM-DD"
    if kind == "stamp":
        return None if stamp_value(value) == value else "is not a date-time"
    if kind == "ags":
        return None if re.fullmatch(r"[0-9]{8}", value) else "is not an 8-digit AGS"
    raise ValueError(f"no rule {rule!r}")


def row_problems(table: str, row: Row) -> list[tuple[str, str]]:
    """(column, 'value' what) of every bad cell of a row, and the rules between cells."""
    found = []
    for column, rule in RULES[table].items():
        value = row.get(column, "")
        problem = cell_problem(rule, value)
        if problem:
            shown = repr(value if len(value) <= 80 else value[:80] + "…")
            found.append((column, f"{shown} {problem}"))
    if table == "beitritte":
        if not row.get("datum") and not row.get("stand"):
            found.append(("stand", "is empty, and so is datum (one of them is required)"))
        if row.get("status") in ("beschlossen", "unterzeichnet", "abgelehnt"):
            for column in ("datum", "gremium"):
                if not row.get(column):
                    found.append((column, f"is empty, which status {row['status']} requires"))
    held = row.get("sitzungsstatus") == "durchgefuehrt"
    if table == "beratungen" and row.get("ergebnis") and not held:
        found.append(("ergebnis", "is filled for a meeting not recorded as held"))
    return found


def _row_source(row: Row, table: Table) -> str:
    """Where a row came from, to name in a message: its OParl URL, else its table."""
    if row.get("oparl_id"):
        return row["oparl_id"]
    first = (row.get("quelle") or "").split(" ")[0]
    return first if first.startswith(("http://", "https://")) else str(table.path)


def _ags(body: dict[str, Any], url: str, warn: Warn) -> str:
    """The body's Amtlicher Gemeindeschlüssel if it is one (8 digits); some servers
    give the 12-digit Regionalschlüssel or other text there."""
    ags = _text(body.get("ags")).replace(" ", "")
    if ags and not re.fullmatch(r"[0-9]{8}", ags):
        warn(url, f"'ags' {ags[:40]!r} is not an 8-digit Gemeindeschlüssel; left empty")
        return ""
    return ags


_HELD = ("durchgefuehrt", "abgeschlossen", "beendet", "stattgefunden")
_CANCELLED = ("abgesagt", "ausgefallen", "entfaellt", "entfallen")


def cancelled(meeting: dict[str, Any]) -> bool:
    state = fold(_text(meeting.get("meetingState")))
    return meeting.get("cancelled") is True or any(w in state for w in _CANCELLED)


def meeting_state(meeting: dict[str, Any] | None, result: str) -> str:
    """'durchgefuehrt' only when the server records that the meeting took place: a
    result on its agenda item, a state saying so, or its minutes; else 'geplant'."""
    if meeting is None:
        return "geplant"
    state = fold(_text(meeting.get("meetingState")))
    if result or any(word in state for word in _HELD):
        return "durchgefuehrt"
    if meeting.get("resultsProtocol") or meeting.get("verbatimProtocol"):
        return "durchgefuehrt"
    return "geplant"


def _merge(row: Row, values: Row, *, owned: bool) -> None:
    """Fill a row: one the import made takes every value; one the office typed keeps its
    own and gains the OParl URL among its sources (``quelle`` is space-separated)."""
    for column, value in values.items():
        if owned or not row.get(column) or column in ("oparl_id", "oparl_modified"):
            row[column] = value
        elif column == "quelle" and value not in row[column].split():
            row[column] = f"{row[column]} {value}"


def _unique(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _body_matches(body: dict[str, Any], wanted: str) -> bool:
    found = body.get("id")
    url = found if isinstance(found, str) else ""
    names = {fold(_text(body.get("shortName"))), fold(_text(body.get("name")))}
    return wanted in (url, url.rstrip("/").rsplit("/", 1)[-1]) or fold(wanted) in names


def run_import(
    root: Path,
    system_url: str,
    *,
    body: str | None = None,
    search: str = DEFAULT_SEARCH,
    since: str | None = None,
    dry_run: bool = False,
    politeness: Politeness | None = None,
    warn: Warn | None = None,
    namespace: str = DEFAULT_NAMESPACE,
) -> ImportResult:
    """Import the Charta's papers of ``system_url`` into the register tables under ``root``.

    Raises :class:`OParlImportError` (nothing written) when the server fails, a row
    would break the table contract or a table is unreadable, ValueError for a bad
    --since or --search.
    """
    problem = url_problem(system_url)
    if problem:
        raise OParlImportError(f"{show(system_url)}: {problem}")
    warnings: list[str] = []
    seen: set[str] = set()

    def collect(url: str, what: str) -> None:
        message = f"{show(url)}: {what}"
        if message not in seen:
            seen.add(message)
            warnings.append(message)
            if warn is not None:
                warn(show(url), what)

    client = Client(collect, politeness)
    client.trust(system_url)
    with _one_at_a_time(root / REGISTER, shared=dry_run):
        importer = Importer(root, client, search=search, since=since, dry_run=dry_run)
        for where, what in importer.recovered:
            collect(where, what)
        try:
            result = importer.run(system_url, body)
        except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
            # The walk reads every field defensively; this is the last word on a shape
            # nobody foresaw: the server's fault, named by the URL last read, exit 2.
            raise OParlImportError(
                f"{show(client.last_url or system_url)}: data of a shape the import cannot "
                f"read ({type(exc).__name__}: {exc})"
            ) from None
        result.warnings = warnings
        importer.check()
        importer.check_with_register(namespace)
        if not dry_run:
            result.written = importer.write()
    return result


@contextmanager
def _one_at_a_time(folder: Path, *, shared: bool) -> Iterator[None]:
    """One writing import per register folder, and no dry run while one writes: a
    lock on the folder itself (nothing is left behind, and the system drops it when
    the process ends, however it ends)."""
    if not folder.is_dir():
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OParlImportError(
                f"{folder}: another 'charta import oparl' is using these tables; "
                "run again when it has finished"
            ) from None
        yield
    finally:
        os.close(fd)
