"""The ``charta`` command. Commands parse arguments and call library functions.

Exit codes (all commands): 0 success, 1 the data has violations, 2 unreadable
input or bad usage (printed as ``file:line: what``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from server.config import Config
from server.sources import SourceError


def fail(message: str) -> NoReturn:
    """Print ``message`` to stderr and exit 2: the one way bad input ends a command."""
    click.echo(message, err=True)
    sys.exit(2)


def _config(**overrides: object) -> Config:
    try:
        return Config.from_env(**overrides)
    except (ValueError, TypeError) as exc:
        fail(f"configuration: {exc}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="charta")
def cli() -> None:
    """Publish the Charta Grüne Infrastruktur Metropole Ruhr as linked open data."""


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
    from server.validate import validate as run

    config = _config(namespace=namespace, root=directory)
    try:
        report = run(config.root, config.namespace)
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
def serve(host: str, port: int, base_url: str | None, namespace: str | None) -> None:
    """Serve the linked data site on the embedded store (Oxigraph in process).

    Validates ontology/ and data/ first and refuses to start if they do not
    conform. For production, run several workers with gunicorn:
    gunicorn -w 4 'server.app:create_app()'.
    """
    from server.app import create_app
    from server.validate import validate as run

    config = _config(namespace=namespace, public_url=base_url)
    try:
        report = run(config.root, config.namespace)
    except SourceError as exc:
        fail(str(exc))
    if not report.conforms:
        for finding in report.violations:
            click.echo(finding.render(config.root), err=True)
        fail(f"refusing to start: {len(report.violations)} violations (see 'charta validate')")
    app = create_app(config)
    click.echo(f"charta: serving {report.triples} triples at http://{host}:{port}/")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


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
def build(out: Path, base_url: str | None, namespace: str | None) -> None:
    """Write the dumps (Turtle, N-Triples gzip, JSON-LD, RDF/XML), their SHA-256 sums,
    the computed catalog and VoID statistics, sitemap.xml and robots.txt.

    Deterministic: the same data gives the same bytes. Validates first; exit 1
    if the data has violations. 'charta serve' uses the result when
    CHARTA_DIST_DIR points at OUT.
    """
    from server.build import BuildError
    from server.build import build as run_build
    from server.store.embedded import EmbeddedStore
    from server.validate import validate as run

    config = _config(namespace=namespace, public_url=base_url)
    try:
        report = run(config.root, config.namespace)
        if not report.conforms:
            click.echo(
                f"not built: {len(report.violations)} violations (see 'charta validate')", err=True
            )
            sys.exit(1)
        store = EmbeddedStore(config.root, config.namespace, query_workers=1)
        result = run_build(store, config.namespace, config.public_url)
    except (SourceError, BuildError) as exc:
        fail(str(exc))
    try:
        written = result.write(out)
    except OSError as exc:
        fail(f"{out}: cannot write: {exc.strerror or exc}")
    for path in written:
        click.echo(f"{path} ({path.stat().st_size} bytes)")
    click.echo(f"built {len(result.dumps)} dumps of {result.triples} triples into {out}")
