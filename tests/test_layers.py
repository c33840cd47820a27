"""The package's layers hold: no import runs from a lower layer to a higher one, no
circle, and the engine never imports the profile (it reads it by name, CHARTA_PROFILE).

Read from the code's own import statements (top level and inside functions), so a
move that breaks a layer fails here before anyone draws the graph.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

#: Bottom first. A module may import its own layer and those below it.
LAYERS = (
    ("server.config", "server.i18n"),
    ("server.rdf",),
    ("server.urls",),
    ("server.sparql",),
    ("server.pages",),
    ("server.pipeline",),
    ("server.web",),
    ("server.profile",),
    ("server.cli", "server.__main__"),
)
#: The engine: everything but the profile and the command line that loads it.
ENGINE = tuple(name for layer in LAYERS[:-2] for name in layer)


def _layer(module: str) -> int | None:
    for i, names in enumerate(LAYERS):
        if any(module == n or module.startswith(n + ".") for n in names):
            return i
    return None


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> list[tuple[str, str, int]]:
    """(importer, imported module, line) for every import of the package by the package."""
    found = []
    for path in sorted((ROOT / "server").rglob("*.py")):
        here = _module(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("server")
            ):
                for alias in node.names:  # "from server.web import state" imports server.web.state
                    sub = f"{node.module}.{alias.name}"
                    target = sub if _is_module(sub) else node.module
                    found.append((here, target, node.lineno))
            elif isinstance(node, ast.Import):
                found += [
                    (here, a.name, node.lineno) for a in node.names if a.name.startswith("server")
                ]
    return found


def _is_module(name: str) -> bool:
    path = ROOT / name.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_every_module_is_in_a_layer() -> None:
    unplaced = [_module(p) for p in (ROOT / "server").rglob("*.py") if _layer(_module(p)) is None]
    assert unplaced in ([], ["server"]), unplaced


def test_no_import_runs_up_a_layer() -> None:
    up = [
        f"{a} -> {b} (line {line})"
        for a, b, line in _imports()
        if (la := _layer(a)) is not None and (lb := _layer(b)) is not None and lb > la
    ]
    assert up == []


def test_the_engine_never_imports_the_profile() -> None:
    named = [
        f"{a} -> {b}"
        for a, b, _ in _imports()
        if a.startswith(ENGINE) and _layer(b) == LAYERS.index(("server.profile",))
    ]
    assert named == []


def test_no_circles_between_modules() -> None:
    graph: dict[str, set[str]] = {}
    for a, b, _ in _imports():
        if a != b:
            graph.setdefault(a, set()).add(b)
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert circles == []


def test_at_most_twelve_modules_at_the_top() -> None:
    top = sorted(p.name for p in (ROOT / "server").glob("*.py"))
    assert len(top) <= 12, top


def _charta_terms() -> set[str]:
    """The profile's words: our vocabulary's local names, the data's resource paths
    (``id/…``) and the register's table files."""
    import re

    import pyoxigraph as ox

    from tests.conftest import NS

    store = ox.Store()
    for path in (ROOT / "ontology").glob("*.ttl"):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=NS)
    terms = {
        term.value.split("#", 1)[1]
        for quad in store.quads_for_pattern(None, None, None)
        for term in (quad.subject, quad.predicate, quad.object)
        if isinstance(term, ox.NamedNode) and term.value.startswith(NS + "ontology#")
    }
    for path in (ROOT / "data").rglob("*.ttl"):
        terms |= set(re.findall(r"<(id/[^>]+)>", path.read_text(encoding="utf-8")))
    terms |= {p.name for p in (ROOT / "data" / "register").glob("*.csv")}
    return terms


def _code_strings(tree: ast.Module) -> list[tuple[int, str, bool]]:
    """(line, text, follows an interpolation) of every string in code, docstrings left out."""
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            after = False
            for part in node.values:
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    found.append((node.lineno, part.value, after))
                    docs.add(id(part))
                after = isinstance(part, ast.FormattedValue)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            found.append((node.lineno, node.value, False))
    return found


def test_the_engine_names_no_charta_term() -> None:
    """No class, property, resource or table of the Charta is written in the engine's
    code (its docstrings may give them as examples): they reach it from the profile
    record or from the data."""
    import re

    terms = _charta_terms()
    words = {t for t in terms if "/" not in t and "." not in t}
    paths = terms - words
    named = []
    for path in sorted((ROOT / "server").rglob("*.py")):
        if not _module(path).startswith(ENGINE):
            continue
        for line, text, after in _code_strings(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{line}"
            named += [
                f"{where}: {p}" for p in paths if re.search(rf"(?<![\w/-]){re.escape(p)}\b", text)
            ]
            head = re.match(r"[A-Za-z]+", text)
            if text in words or (after and head and head.group() in words):
                named.append(f"{where}: {text!r}")
            named += [f"{where}: {w}" for w in re.findall(r"[#/]([A-Za-z]+)\b", text) if w in words]
            if re.search(r"(?<!X-)\bCharta\b", text):
                named.append(f"{where}: Charta")
    assert named == []
