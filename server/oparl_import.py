"""``charta import oparl``: the Charta's papers from a council system into the register tables.

Walks an OParl 1.0/1.1 system (System -> bodies -> paginated paper lists), keeps
the papers whose name or reference matches the search text, reads their
consultations, the meetings and organisations those name and the papers' files,
and writes them into ``data/register/{institutionen,beitritte,beratungen}.csv``:
a body is an institution row, a paper a joining (Beitritt) row, each of its
consultations a Beratung row, with the OParl object's ``id`` as ``quelle`` and
``oparl_id`` and its ``modified`` as ``oparl_modified``.

The run is all or nothing: tables are written to temporary files and renamed
only after every request succeeded, and a table whose rows did not change is not
written at all, so a second run leaves every byte as it was. Real servers bend
the spec in known ways (``docs/editing.md``, "Import from a council system");
each bend is reported as a warning naming the URL and the run goes on. A server
that keeps failing ends the run with :class:`OParlImportError` (``URL: what``) and
the tables untouched.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import tempfile
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import Message
from http.client import HTTPException
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from server.config import DEFAULT_NAMESPACE

USER_AGENT = (
    f"charta-oparl-import/0.1 (+{DEFAULT_NAMESPACE}; "
    "register of the Charta Gruene Infrastruktur Metropole Ruhr)"
)
DEFAULT_SEARCH = "Charta Grüne Infrastruktur"
#: Folder of the register tables, relative to the project.
REGISTER = Path("data") / "register"
#: The table contract: these columns in this order; a file may add columns after them.
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
    ],
}
#: Largest answer read from a server; anything bigger is not an OParl page.
MAX_ANSWER_BYTES = 64 * 2**20
#: Most pages one list may have before the walk assumes the server loops.
MAX_PAGES = 100_000


class OParlImportError(Exception):
    """The run cannot finish (``URL: what`` or ``file:line: what``); nothing was written."""


Warn = Callable[[str, str], None]


# --- HTTP ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Politeness:
    """How hard the importer may press a server."""

    timeout_s: float = 30.0
    retries: int = 4
    backoff_s: float = 1.0  # first wait after a failure, doubled after each further one
    delay_s: float = 0.5  # least time between the starts of two requests


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes


class Client:
    """Polite OParl HTTP: rate limit, timeouts, retries with backoff, lenient JSON."""

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
        self._last_start: float | None = None
        # None: not known yet; True: this server wants modified_since unencoded (Somacos).
        self._unencoded_since: bool | None = None
        self._objects: dict[str, dict[str, Any] | None] = {}
        self._retry_after = ""

    # raw requests

    def _wait_turn(self) -> None:
        if self._last_start is not None:
            wait = self.politeness.delay_s - (time.monotonic() - self._last_start)
            if wait > 0:
                self.sleep(wait)
        self._last_start = time.monotonic()

    def fetch(self, url: str) -> Answer:
        """GET ``url``; retry 5xx, 429 and connection errors with exponential backoff."""
        p = self.politeness
        reason = ""
        for attempt in range(p.retries + 1):
            if attempt:
                self.sleep(self._backoff(attempt, reason))
            self._wait_turn()
            self.requests += 1
            request = urllib.request.Request(
                url,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "application/json",
                    "Accept-Encoding": "gzip",
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=p.timeout_s) as response:
                    answer = Answer(response.status, response.headers, _read(response))
            except urllib.error.HTTPError as exc:
                try:
                    answer = Answer(exc.code, exc.headers, _read(exc))
                except (OSError, HTTPException):
                    answer = Answer(exc.code, exc.headers, b"")
                finally:
                    exc.close()
            except (OSError, HTTPException) as exc:  # URLError, timeouts, resets, bad framing
                reason = f"no answer ({_why(exc)})"
                continue
            if answer.status >= 500 or answer.status == 429:
                reason = f"HTTP {answer.status}"
                self._retry_after = answer.headers.get("Retry-After", "")
                continue
            if attempt:
                self.warn(url, f"{reason}, answered on retry {attempt} (retried with backoff)")
            return answer
        raise OParlImportError(f"{url}: {reason}, still after {p.retries} retries")

    def _backoff(self, attempt: int, reason: str) -> float:
        wait: float = self.politeness.backoff_s * 2.0 ** (attempt - 1)
        retry_after, self._retry_after = self._retry_after, ""
        if retry_after.isdigit():  # the server's own wish, within reason
            wait = max(wait, min(float(retry_after), 60.0))
        return wait

    def json(self, url: str, answer: Answer) -> Any:
        """The answer's JSON; unescaped control characters are read leniently, with a warning."""
        text = answer.body.decode("utf-8", errors="replace").lstrip("\ufeff")
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
        try:
            data = json.loads(text, strict=False)
        except json.JSONDecodeError as exc:
            raise OParlImportError(f"{url}: not JSON ({exc})") from None
        self.warn(
            url,
            "invalid JSON (unescaped control characters in strings), a bug in the OParl "
            "implementation; read leniently",
        )
        return data

    # OParl objects and lists

    def object(self, url: str, *, required: bool = False) -> dict[str, Any] | None:
        """One OParl object by its URL (cached for the run); None if the server has none."""
        if url in self._objects:
            return self._objects[url]
        answer = self.fetch(url)
        if answer.status != 200:
            if required:
                raise OParlImportError(f"{url}: HTTP {answer.status}")
            self.warn(url, f"HTTP {answer.status} for an object the server links to; skipped")
            self._objects[url] = None
            return None
        data: dict[str, Any] | None = self.json(url, answer)
        if not isinstance(data, dict):
            if required:
                raise OParlImportError(f"{url}: not an OParl object")
            self.warn(url, "not an OParl object (a JSON object was expected); skipped")
            data = None
        self._objects[url] = data
        return data

    def pages(self, url: str, since: str | None = None) -> Iterator[dict[str, Any]]:
        """Every object of a paginated OParl list, following ``links.next``."""
        seen: set[str] = set()
        next_url: str | None = url
        while next_url and len(seen) < MAX_PAGES:
            if next_url in seen:
                self.warn(next_url, "links.next points back to a page already read; list ended")
                return
            seen.add(next_url)
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
                error = json.loads(answer.body.decode("utf-8", errors="replace"), strict=False)
            except json.JSONDecodeError:
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
            raise OParlImportError(f"{asked}: HTTP {answer.status} for a list page")
        data = self.json(asked, answer)
        if isinstance(data, list):
            what = "[] instead of a list object" if not data else "a bare array, not a list object"
            self.warn(asked, f"{what}; read as one page")
            return {"data": data}
        if not isinstance(data, dict) or "data" not in data:
            raise OParlImportError(f"{asked}: not an OParl list (no 'data')")
        return data


def _read(response: Any) -> bytes:
    body: bytes = response.read(MAX_ANSWER_BYTES + 1)
    if len(body) > MAX_ANSWER_BYTES:
        raise OParlImportError(f"{response.url}: answer larger than {MAX_ANSWER_BYTES} bytes")
    if (response.headers.get("Content-Encoding") or "").lower() == "gzip":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError) as exc:
            raise OParlImportError(f"{response.url}: broken gzip ({exc})") from None
    return body


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
    """A table id: [a-z0-9-], umlauts spelled out."""
    return fold(text).replace(" ", "-") or "x"


def day(value: Any) -> str:
    """YYYY-MM-DD of an OParl date or date-time, as written (no time-zone shift)."""
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value):
        return value[:10]
    return ""


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


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


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

    def __post_init__(self) -> None:
        self.before = [dict(row) for row in self.rows]

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
        if header[: len(columns)] != columns:
            raise OParlImportError(
                f"{path}:1: the header must start with {','.join(columns)} "
                f"(found {','.join(header)})"
            )
        rows = []
        for line, record in enumerate(records[1:], start=2):
            if not any(record):
                continue
            if len(record) > len(header):
                raise OParlImportError(f"{path}:{line}: {len(record)} cells, {len(header)} columns")
            rows.append(dict(zip(header, record + [""] * (len(header) - len(record)), strict=True)))
        return cls(name, path, header, rows, raw, newline, bom)

    def render(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator=self.newline)
        writer.writerow(self.header)
        # Rows read from the file keep their order (the office's); rows the import adds
        # follow them, sorted, so the same input always gives the same bytes.
        kept = [row for row in self.rows if id(row) not in self.added]
        fresh = sorted((r for r in self.rows if id(r) in self.added), key=SORT_KEYS[self.name])
        for row in kept + fresh:
            writer.writerow([row.get(column, "") for column in self.header])
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


@dataclass
class TableChange:
    table: str
    added: list[str] = field(default_factory=list)
    changed: list[tuple[str, list[str]]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

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
    return change


# --- the import ---------------------------------------------------------------------


@dataclass
class ImportResult:
    bodies: int = 0
    papers: int = 0
    removed_papers: int = 0
    requests: int = 0
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
    ) -> None:
        self.root = root
        self.client = client
        self.warn = client.warn
        self.needle = fold(search)
        if not self.needle:
            raise ValueError("--search: empty after folding case and punctuation")
        self.since = since_value(since) if since else None
        self.tables = {name: Table.load(root, name) for name in COLUMNS}
        self.result = ImportResult()

    @property
    def institutionen(self) -> list[Row]:
        return self.tables["institutionen"].rows

    @property
    def beitritte(self) -> list[Row]:
        return self.tables["beitritte"].rows

    @property
    def beratungen(self) -> list[Row]:
        return self.tables["beratungen"].rows

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

    def _body(self, body: dict[str, Any], url: str) -> None:
        if body.get("deleted"):
            inst = self._find_institution(body, url)
            if inst is not None:
                for row in [r for r in self.beitritte if r["institution"] == inst["id"]]:
                    if row["oparl_id"]:
                        self._remove_paper(row["oparl_id"])
                self._remove_body(inst, url)
            return
        inst_id = self._institution(body, url)
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
            self._remove_paper(pid)
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
        ags = _text(body.get("ags"))
        if ags:
            for row in self.institutionen:
                if row["ags"] == ags:
                    return row
        return None

    def _institution(self, body: dict[str, Any], url: str) -> str:
        values = {
            "name": _text(body.get("name")) or _text(body.get("shortName")),
            "art": body_kind(_text(body.get("classification"))),
            "ags": _text(body.get("ags")),
            "quelle": url,
        }
        row = self._find_institution(body, url)
        if row is None:
            base = slug(_text(body.get("shortName")) or values["name"] or url.rstrip("/"))
            row = self._new_row(
                "institutionen", _unique(base, {r["id"] for r in self.institutionen})
            )
            self._add("institutionen", row)
        _merge(row, values, owned=row["quelle"] in ("", url))
        return row["id"]

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
            row = self._new_row(
                "institutionen", _unique(base, {r["id"] for r in self.institutionen})
            )
            self._add("institutionen", row)
        _merge(row, values, owned=row["quelle"] in ("", url))
        return row["id"]

    # papers

    def _paper(self, paper: dict[str, Any], pid: str, inst_id: str) -> None:
        consultations = []
        for entry in as_list(paper.get("consultation"), pid, "consultation", self.warn):
            if isinstance(entry, str):  # OParl 1.0 servers may link instead of embedding
                entry = self.client.object(entry)
            if isinstance(entry, dict) and not entry.get("deleted"):
                consultations.append(entry)
        rows = [r for r in (self._consultation(c, pid, paper, inst_id) for c in consultations) if r]
        row = self._find_joining(paper, pid, inst_id)
        values = self._joining_values(paper, pid, inst_id, rows, row)
        if row is None:
            base = slug(
                f"{inst_id} {_text(paper.get('reference')) or pid.rstrip('/').rsplit('/', 1)[-1]}"
            )
            row = self._new_row("beitritte", _unique(base, {r["id"] for r in self.beitritte}))
            self._add("beitritte", row)
        _merge(row, values, owned=row["quelle"] in ("", pid))
        self.result.papers += 1
        self._consultation_rows(row["id"], rows)

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
        deciding = [(r, auth) for r, auth in rows if auth]
        decided: list[tuple[Row, str]] = [
            (r, o) for r, _ in deciding if (o := outcome(r["ergebnis"]))
        ]
        if decided:
            last, status = max(decided, key=lambda d: (d[0]["datum"], d[0]["oparl_id"]))
            gremium, datum = last["gremium"], last["datum"]
        else:
            status = "in-beratung" if rows else "vorgeschlagen"
            planned = deciding or rows
            gremium = max(planned, key=lambda d: d[0]["datum"])[0]["gremium"] if planned else ""
            datum = day(paper.get("date"))
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
            "vorlage_url": self._file_url(paper, pid),
            "datum": datum,
            "status": status,
            "quelle": pid,
            "oparl_id": pid,
            "oparl_modified": _text(paper.get("modified")),
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
        row = {
            "datum": day(meeting.get("start")) if meeting else "",
            "gremium": gremium,
            "rolle": consultation_role(_text(consultation.get("role")), authoritative),
            "ergebnis": outcome(self._result(consultation, cid, meeting, meeting_url)) or "",
            "quelle": cid,
            "oparl_id": cid,
            "oparl_modified": _text(consultation.get("modified")) or _text(paper.get("modified")),
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

    def _remove_paper(self, pid: str) -> None:
        """A deleted paper: the rows it sourced go; a typed row linked to it stays, unlinked."""
        for row in [r for r in self.beitritte if r["oparl_id"] == pid]:
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
            self.result.removed_papers += 1

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
        """Write every changed table: all to temporary files first, then rename them."""
        changed = [t for t in self.tables.values() if t.changed()]
        if not changed:
            return []
        folder = self.root / REGISTER
        temporary: list[tuple[str, Path]] = []
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for table in changed:
                fd, name = tempfile.mkstemp(prefix=f".{table.name}.", suffix=".csv.tmp", dir=folder)
                temporary.append((name, table.path))
                with os.fdopen(fd, "wb") as out:
                    out.write(table.render())
                    out.flush()
                    os.fsync(out.fileno())
            for name, path in temporary:
                os.replace(name, path)
        except OSError as exc:
            for name, _ in temporary:
                Path(name).unlink(missing_ok=True)
            raise OParlImportError(f"{folder}: cannot write: {exc.strerror or exc}") from None
        return [path for _, path in temporary]


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
) -> ImportResult:
    """Import the Charta's papers of ``system_url`` into the register tables under ``root``.

    Raises :class:`OParlImportError` (nothing written) when the server fails or a table is
    unreadable, ValueError for a bad --since or --search.
    """
    if urlsplit(system_url).scheme not in ("http", "https"):
        raise OParlImportError(f"{system_url}: not an http(s) URL")
    warnings: list[str] = []
    seen: set[str] = set()

    def collect(url: str, what: str) -> None:
        message = f"{url}: {what}"
        if message not in seen:
            seen.add(message)
            warnings.append(message)
            if warn is not None:
                warn(url, what)

    importer = Importer(root, Client(collect, politeness), search=search, since=since)
    result = importer.run(system_url, body)
    result.warnings = warnings
    if not dry_run:
        result.written = importer.write()
    return result
