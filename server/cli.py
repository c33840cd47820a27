"""The ``charta`` command. Commands parse arguments and call library functions.

Exit codes (all commands): 0 success, 1 the data has violations, 2 unreadable
input or bad usage (printed as ``file:line: what``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from server.config import Config
from server.i18n import LANGS, translations
from server.pipeline.files import SourceError

if TYPE_CHECKING:
    from server.pipeline.register import RegisterRules
    from server.web.extension import Profile


def fail(message: str) -> NoReturn:
    """Print ``message`` to stderr and exit 2: the one way bad input ends a command."""
    click.echo(message, err=True)
    sys.exit(2)


def _config(**overrides: Any) -> Config:
    try:
        return Config.from_env(**overrides)
    except (ValueError, TypeError) as exc:
        fail(f"configuration: {exc}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="charta")
def cli() -> None:
    """Publish the Charta Grüne Infrastruktur Metropole Ruhr as linked open data."""


def _profile(config: Config) -> Profile:
    """The profile the config names (exit 2 if it cannot be loaded)."""
    from server.web.extension import ProfileError, load_profile

    try:
        return load_profile(config.profile)
    except ProfileError as exc:
        fail(f"configuration: {exc}")


def _register_rules(config: Config) -> RegisterRules:
    """The rules of the register tables, from the profile the config names."""
    return _profile(config).register_rules


def _require_conforming(config: Config, refusal: str, code: int) -> None:
    """Validate the checkout; on violations print each as ``file:line: what`` and exit ``code``.

    ``refusal`` starts the last line ("not built", "refusing to start", …); unreadable
    input exits 2 as everywhere.
    """
    from server.pipeline.validate import validate as run

    rules = _register_rules(config)
    try:
        report = run(config.root, config.namespace, rules)
    except SourceError as exc:
        fail(str(exc))
    if report.conforms:
        return
    for finding in report.violations:
        click.echo(finding.render(config.root), err=True)
    click.echo(f"{refusal}: {len(report.violations)} violations (see 'charta validate')", err=True)
    sys.exit(code)


def _check_can_listen(host: str, port: int) -> None:
    """Say at once that the address is taken, before validating the data (and
    before the HTTP server would fail with a log line)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        fail(f"{host}: cannot listen there: {exc.strerror or exc}")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # SO_REUSEADDR as the server binds; no SO_REUSEPORT, so a listening charta
        # (granian sets it) is seen as taking the port instead of being shared.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            fail(f"{host}:{port}: cannot listen there: {exc.strerror or exc} (another server?)")


def _reason(exc: Exception) -> str:
    """What went wrong, in words: urllib wraps a refused connection as ``<urlopen error …>``."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, OSError):
        what = reason.strerror or str(reason)
        return f"cannot reach the server ({what}); is it running, and is the URL right?"
    return str(exc)


@cli.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option(
    "--namespace",
    help="Base namespace the relative IRIs resolve against (default: CHARTA_NAMESPACE "
    "or https://w3id.org/charta-ruhr/).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line.")
def validate(directory: Path | None, namespace: str | None, quiet: bool) -> None:
    """Check ontology/, data/ and shapes/ in DIRECTORY (default: the project).

    Runs the SHACL shapes and reports IRIs of our namespace that are used but
    never described. Exit 0: conforms; 1: violations; 2: unreadable input.
    """
    from server.pipeline.validate import validate as run

    config = _config(namespace=namespace, root=directory)
    rules = _register_rules(config)
    try:
        report = run(config.root, config.namespace, rules)
    except SourceError as exc:
        fail(str(exc))
    if not quiet:
        for finding in report.findings:
            click.echo(finding.render(config.root))
            click.echo()
    summary = (
        f"{report.files} files, {report.triples} triples: "
        f"{len(report.violations)} violations, "
        f"{len(report.findings) - len(report.violations)} warnings"
    )
    click.echo(("conforms: " if report.conforms else "does not conform: ") + summary)
    sys.exit(0 if report.conforms else 1)


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Folder to write dumps/, metadata.nt, sitemap.xml and robots.txt into.",
)
@click.option(
    "--base-url",
    help="URL the site is reached at, for sitemap.xml and robots.txt (default: the namespace).",
)
@click.option("--namespace", help="Base namespace of the data (default: CHARTA_NAMESPACE).")
@click.option(
    "--store-dir",
    type=click.Path(path_type=Path),
    help="Also write a persisted Oxigraph store into this folder (replaced in one swap); "
    "'charta serve --store-dir' then starts without parsing Turtle.",
)
def build(out: Path, base_url: str | None, namespace: str | None, store_dir: Path | None) -> None:
    """Write the dumps (Turtle, N-Triples gzip, JSON-LD, RDF/XML), their SHA-256 sums,
    the computed catalog and VoID statistics, sitemap.xml, robots.txt and the
    search index (search.json).

    Deterministic: the same data gives the same bytes. Validates first; exit 1
    if the data has violations. 'charta serve --dist-dir OUT' (or
    CHARTA_DIST_DIR=OUT) serves the result without rebuilding it.
    """
    from server.pipeline.build import BuildError, build_site
    from server.sparql.persisted import StoreDirError

    config = _config(namespace=namespace, public_url=base_url)
    _require_conforming(config, "not built", 1)
    try:
        result = build_site(config, store_dir)
    except (SourceError, BuildError, StoreDirError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{store_dir}: cannot write the store: {exc.strerror or exc}")
    if store_dir is not None:
        click.echo(f"{store_dir} (persisted store, {result.triples} triples)")
    try:
        written = result.write(out)
    except OSError as exc:
        fail(f"{out}: cannot write: {exc.strerror or exc}")
    for path in written:
        click.echo(f"{path} ({path.stat().st_size} bytes)")
    click.echo(f"built {len(result.dumps)} dumps of {result.triples} triples into {out}")


@cli.command()
@click.argument("version")
@click.option("--notes", default="", help="What changed, for people (adms:versionNotes).")
@click.option("--namespace", help="Base namespace of the data (default: CHARTA_NAMESPACE).")
def release(version: str, notes: str, namespace: str | None) -> None:
    """Freeze the current data as release VERSION in releases/VERSION/ (commit it).

    Writes immutable dumps in every format with SHA256SUMS, the difference to
    the previous release (aenderungen.rdfp, aenderungen.trig) and release.ttl
    (the release in the catalog's dataset series, with VoID statistics). The
    server then serves the release's dumps, pages (Memento), changes and SPARQL
    endpoint. Exit 1 if the data has violations; exit 2 if VERSION is malformed
    or exists (a release is never replaced).
    """
    from server.pipeline.releases import ReleaseError, make_release

    config = _config(namespace=namespace)
    _require_conforming(config, "no release made", 1)
    try:
        site = _profile(config).site
        by = {lang: translations(lang).gettext(site.publisher_name) for lang in LANGS}
        made = make_release(config, version, notes, by=by)
    except (ReleaseError, SourceError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"releases/{version}: cannot write: {exc.strerror or exc}")
    change = made.folder / "aenderungen.rdfp"
    click.echo(f"{made.folder} (release {made.version}, issued {made.issued.isoformat()})")
    click.echo(f"{change} ({change.stat().st_size} bytes)")


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on; 127.0.0.1 means only this machine can connect.",
)
@click.option("--port", default=8080, show_default=True, type=int, help="TCP port.")
@click.option(
    "--base-url",
    help="URL the site is reached at, if not the namespace "
    "(e.g. http://localhost:8080/); links in pages stay on this server either way.",
)
@click.option("--namespace", help="Base namespace of the data (default: CHARTA_NAMESPACE).")
@click.option(
    "--store",
    "store_url",
    help="Query URL of a SPARQL 1.1 server loaded with "
    "'charta load' (default: the embedded store).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Web worker processes (granian), each with its own query workers and "
    "CHARTA_QUERY_WORKERS + CHARTA_SPARQL_QUEUE + CHARTA_BODY_READERS + "
    "CHARTA_PAGE_THREADS Python threads (default 2 + 16 + 8 + 4).",
)
@click.option(
    "--store-dir",
    type=click.Path(path_type=Path),
    help="Open the persisted store written by 'charta build --store-dir' (read-only, "
    "no parsing) instead of parsing ontology/ and data/.",
)
@click.option(
    "--dist-dir",
    type=click.Path(path_type=Path),
    help="Serve the dumps written by 'charta build --out' instead of building them "
    "on first request.",
)
def serve(
    host: str,
    port: int,
    base_url: str | None,
    namespace: str | None,
    store_url: str | None,
    workers: int,
    store_dir: Path | None,
    dist_dir: Path | None,
) -> None:
    """Serve the linked data site, the SPARQL endpoint and the catalog.

    On the embedded store (Oxigraph in process) it validates ontology/ and data/
    first and refuses to start if they do not conform. With --store-dir it opens
    a persisted store instead, which 'charta build' validated, and refuses one
    built from other data than the checkout's. With --store it serves from a
    remote SPARQL server and starts even while that server is down (pages
    answer 503 until it is back). It always runs under granian (--workers N
    worker processes; connections are handled in Rust, so idle or slow clients
    hold no Python thread), never Werkzeug's development server, so the
    README's one command is a real deployment.
    """
    from server.pipeline.backends import backend_for

    config = _config(
        namespace=namespace,
        public_url=base_url,
        store_url=store_url,
        store_dir=store_dir,
        dist_dir=dist_dir,
    )
    _check_can_listen(host, port)
    if config.dist_dir is not None and not (config.dist_dir / "metadata.nt").is_file():
        fail(f"{config.dist_dir}: no build there (run 'charta build --out {config.dist_dir}')")
    backend = backend_for(config)
    refused, validate = backend.refusal(config)
    if refused:
        fail(f"refusing to start: {refused}")
    if validate:
        _require_conforming(config, "refusing to start", 2)
    where = backend.describe(config)
    click.echo(f"charta: serving {where} at http://{host}:{port}/ with {workers} worker(s)")
    click.echo(f"charta: {backend.protection(config)}")
    from server.web.http_server import run_granian

    run_granian(config, host, port, workers)


@cli.command()
@click.option(
    "--store",
    "store_url",
    required=True,
    help="Query URL of the SPARQL 1.1 server (e.g. http://localhost:7878/query).",
)
@click.option(
    "--update-url",
    help="Its SPARQL Update URL (default: /update beside /query, else the query URL).",
)
@click.option("--namespace", help="Base namespace of the data (default: CHARTA_NAMESPACE).")
def load(store_url: str, update_url: str | None, namespace: str | None) -> None:
    """Load ontology/ and data/ into a remote SPARQL server, replacing the previous version.

    Validates first (exit 1 on violations). The new data is written to a
    temporary graph and then moved over the live graph in one update, so
    readers never see half a load.
    """
    from server.pipeline.backends import backend_for

    config = _config(namespace=namespace, store_url=store_url, store_update_url=update_url)
    _require_conforming(config, "not loaded", 1)
    try:
        loader = backend_for(config).load
        assert loader is not None  # --store chooses the remote backend, which loads
        result = loader(config, store_url)
    except Exception as exc:  # the server's own words are the most useful message here
        fail(f"{store_url}: load failed: {_reason(exc)}")
    click.echo(f"loaded {result.triples} triples into <{result.graph}> (version {result.version})")


@cli.command()
@click.argument("text")
@click.option(
    "--format",
    "fmt",
    default="tsv",
    show_default=True,
    help="json, xml, csv or tsv for SELECT/ASK; turtle, jsonld, rdfxml or ntriples "
    "for CONSTRUCT/DESCRIBE (turtle when a results format is given).",
)
@click.option("--store", "store_url", help="Query a remote store instead of the embedded one.")
@click.option("--namespace", help="Base namespace of the data (default: CHARTA_NAMESPACE).")
def query(text: str, fmt: str, store_url: str | None, namespace: str | None) -> None:
    """Run a SPARQL query (TEXT, @file, or - for stdin) and print the answer.

    The same limits as /sparql apply: read-only, no SERVICE, the configured
    timeout and row limit (a cut answer is reported on stderr).
    """
    from server.pipeline.backends import open_store
    from server.rdf.formats import BY_NAME as RDF_BY_NAME
    from server.sparql import QueryJob, QueryRefusedError, StoreError, results
    from server.sparql.policy import check

    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{text[1:]}: cannot read: {exc}")
    config = _config(namespace=namespace, store_url=store_url, query_workers=1)
    try:
        info = check(
            text,
            config.max_query_bytes,
            config.max_query_depth,
            config.max_query_patterns,
            config.namespace,
        )
    except QueryRefusedError as exc:
        fail(f"query: refused: {exc}")
    if info.form in ("CONSTRUCT", "DESCRIBE"):
        fmt = RDF_BY_NAME[fmt].name if fmt in RDF_BY_NAME else "turtle"
    elif fmt in results.BY_NAME:
        fmt = results.BY_NAME[fmt].name
    else:
        fail(f"query: unknown results format {fmt!r} (json, xml, csv, tsv)")
    try:
        store = open_store(config)
        answer = store.sparql(
            QueryJob(
                info.text,  # the policy's canonical text, never the given one
                info.form,
                fmt,
                config.max_rows,
                max_bytes=config.max_query_bytes,
                max_depth=config.max_query_depth,
                max_patterns=config.max_query_patterns,
                max_answer_bytes=config.max_answer_mb * 2**20,
            ),
            config.query_timeout_s,
        )
    except SourceError as exc:
        fail(str(exc))
    except StoreError as exc:
        fail(f"query: {exc}")
    sys.stdout.buffer.write(answer.body)
    sys.stdout.flush()
    if answer.truncated and answer.cut_by == "bytes":
        click.echo(
            f"(cut at {config.max_answer_mb} MB: the configured answer size limit)", err=True
        )
    elif answer.truncated:
        click.echo(f"(cut at {config.max_rows} rows: the configured row limit)", err=True)


@cli.group(name="import")
def import_group() -> None:
    """Bring facts from other systems into the register tables (data/register/)."""


@import_group.command(name="oparl")
@click.argument("system_url")
@click.option(
    "--body",
    "body",
    metavar="ID",
    help="Only this body of the system: its OParl id URL, the last part of that URL, "
    "or its name or short name (default: every body).",
)
@click.option(
    "--search",
    default="Charta Grüne Infrastruktur",
    show_default=True,
    help="Look for papers whose name or reference contains this text (case, umlauts "
    "and punctuation ignored). Of those, only papers that name the Charta Grüne "
    "Infrastruktur in their title or a file's text are written.",
)
@click.option(
    "--since",
    metavar="DATE",
    help="Ask only for papers modified since DATE (YYYY-MM-DD, midnight UTC, or an ISO "
    "date-time) as modified_since (default: the newest oparl_modified already in the "
    "tables for that body; none: the whole list). Papers already in the tables are "
    "read again either way.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the rows that would be added, changed or removed (papers by reference "
    "and title); write nothing.",
)
@click.option(
    "--project",
    type=click.Path(path_type=Path, file_okay=False),
    help="Project folder whose data/register/ tables are read and written "
    "(default: CHARTA_ROOT or this checkout).",
)
@click.option(
    "--delay",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0),
    help="Least seconds between the starts of two requests to the server.",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds for one answer, from connecting to its last byte.",
)
@click.option(
    "--retries",
    default=4,
    show_default=True,
    type=click.IntRange(0, 10),
    help="Retries of a request that got HTTP 5xx or 429 or no answer, waiting --backoff "
    "seconds before the first and twice as long before each next one.",
)
@click.option(
    "--backoff", default=1.0, show_default=True, type=click.FloatRange(0), help="See --retries."
)
@click.option(
    "--deadline",
    default=3600.0,
    show_default=True,
    type=click.FloatRange(1),
    help="Seconds for the whole run; past it the run stops and writes nothing.",
)
@click.option(
    "--max-pages",
    default=20_000,
    show_default=True,
    type=click.IntRange(1),
    help="List pages read in the whole run; past it the run stops and writes nothing.",
)
@click.option(
    "--allow-private-hosts",
    is_flag=True,
    help="Follow links and redirects to loopback and private addresses too (by default "
    "only SYSTEM_URL's own host and port may be one).",
)
def import_oparl(
    system_url: str,
    body: str | None,
    search: str,
    since: str | None,
    dry_run: bool,
    project: Path | None,
    delay: float,
    timeout: float,
    retries: int,
    backoff: float,
    deadline: float,
    max_pages: int,
    allow_private_hosts: bool,
) -> None:
    """Import the Charta's papers from the OParl system at SYSTEM_URL.

    Walks the system's bodies and their paper lists (OParl 1.0 or 1.1), keeps the
    papers whose name or reference matches --search and that name the Charta Grüne
    Infrastruktur in their title or a file's text, and writes each as a candidate
    joining (bestaetigt=nein, until a person sets ja) in
    data/register/beitritte.csv, with its reference and title, its body in
    institutionen.csv and its consultations (planned, or held where the meeting
    recorded it) in beratungen.csv, with the OParl id as source. A joining's date
    is only ever the deciding meeting's. Every row is checked before anything is
    written, and the tables are replaced together or not at all. Running it again
    changes nothing unless the server changed. Deviations from the OParl spec
    that real servers show are warnings on stderr, naming the URL.

    Exit 0: done (tables written, or unchanged); 2: the server failed or sent
    something refused (a non-http(s) link, a bomb, a row that breaks the tables),
    the deadline or page limit passed, a table is unreadable or an option is wrong
    ('URL: what'); the tables are then left as they were.
    """
    from server.profile.oparl import OParlImportError, Politeness, run_import

    config = _config(root=project)

    def warn(url: str, what: str) -> None:
        click.echo(f"warning: {url}: {what}", err=True)

    try:
        result = run_import(
            config.root,
            system_url,
            body=body,
            search=search,
            since=since,
            dry_run=dry_run,
            namespace=config.namespace,
            politeness=Politeness(
                timeout_s=timeout,
                retries=retries,
                backoff_s=backoff,
                delay_s=delay,
                deadline_s=deadline,
                max_pages=max_pages,
                allow_private_hosts=allow_private_hosts,
            ),
            warn=warn,
        )
    except OParlImportError as exc:
        fail(f"{exc}; no table was changed")
    except ValueError as exc:
        fail(str(exc))
    for change in result.changes:
        click.echo(f"{change.table}.csv: {change.summary()}")
        for key in change.added:
            click.echo(f"  + {key}: {change.labels[key]}")
        for key, columns in change.changed:
            click.echo(f"  ~ {key} ({', '.join(columns)}): {change.labels[key]}")
        for key in change.removed:
            click.echo(f"  - {key}: {change.labels[key]}")
    if result.not_charta:
        click.echo(
            f"{len(result.not_charta)} papers matched --search but do not name the Charta "
            "Grüne Infrastruktur in their title or text; not written (see the warnings)"
        )
    verb = "would change" if dry_run else "changed"
    tables = ", ".join(f"{c.table}.csv" for c in result.changes) or "no table"
    click.echo(
        f"{result.papers} papers from {result.bodies} bodies "
        f"({result.removed_papers} deleted on the server), {result.requests} requests, "
        f"{len(result.warnings)} warnings; {verb} {tables}"
    )
