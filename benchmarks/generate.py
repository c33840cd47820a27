"""Synthetic data for the benchmarks: the real Charta plus made-up municipalities.

Written as a project folder (ontology/, shapes/, data/ copied from the
checkout, plus ``data/synthetisch.ttl``) that ``charta validate`` accepts, so
every size is served by the same code as the real data. Everything generated
lives under ``{ns}id/synthetisch/`` and says "synthetisch" in its labels: it is
load for measuring, never data to publish.

Shape of the load, as the Charta would grow if every one of the 53 Kommunen of
the Metropole Ruhr published its council work: each Kommune with a council and
three committees, an administrative unit, a budget product, a programme of
measures (one per goal of the Charta), and council papers (Drucksachen) on a
goal, each consulted in three meetings and decided in the last. The number of
papers is what grows with the target size.

    python benchmarks/generate.py --triples 100000 --out /tmp/charta-1e5
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KOMMUNEN = 53
PER_KOMMUNE = 194  # triples of the fixed part of one Kommune (bodies, budget, measures)
PREFIXES = """@prefix cgi: <ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix schema: <http://schema.org/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix oparl: <https://schema.oparl.org/1.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix s: <id/synthetisch/> .
@prefix art: <id/werteliste/organisationsart/> .
@prefix rolle: <id/werteliste/beratungsrolle/> .
@prefix status: <id/werteliste/beratungsstatus/> .
@prefix ea: <id/werteliste/ereignisart/> .
@prefix hh: <id/werteliste/haushaltsebene/> .
"""
BODIES = (
    ("rat", "Rat", "Council", "parlament"),
    (
        "umweltausschuss",
        "Ausschuss für Umwelt und Klimaschutz",
        "Committee for Environment and Climate",
        "ausschuss",
    ),
    (
        "planungsausschuss",
        "Ausschuss für Stadtentwicklung und Planung",
        "Committee for Urban Development and Planning",
        "ausschuss",
    ),
    ("hauptausschuss", "Haupt- und Finanzausschuss", "Main and Finance Committee", "ausschuss"),
)
WORDS = (
    "Freiraum Alltagsgrün Quartier Dachbegrünung Fassadengrün Regenwasser Versickerung "
    "Stadtbäume Hitzeschutz Biotopverbund Blühwiese Brachfläche Radweg Schulhof Park "
    "Kaltluftschneise Entsiegelung Gewässer Renaturierung Bodenschutz Kleingärten Friedhof"
).split()


class Writer:
    """Counts what it writes: the target size is met in triples, not in papers."""

    def __init__(self, out: Path) -> None:
        self.file = out.open("w", encoding="utf-8")
        self.file.write(PREFIXES)
        self.triples = 0

    def subject(self, s: str, *pairs: tuple[str, str]) -> None:
        self.file.write(s + " " + " ;\n    ".join(f"{p} {o}" for p, o in pairs) + " .\n")
        self.triples += len(pairs)

    def close(self) -> None:
        self.file.close()


def lit(text: str, lang: str = "de") -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + f'"@{lang}'


def day(d: date) -> str:
    return f'"{d.isoformat()}"^^xsd:date'


def goals(root: Path) -> list[str]:
    """The 20 Oberziele of the real data: the synthetic papers are about them."""
    import pyoxigraph as ox

    store = ox.Store()
    for path in sorted((root / "data").glob("*.ttl")):
        store.load(path.read_bytes(), format=ox.RdfFormat.TURTLE, base_iri="https://x.invalid/")
    rows = store.query("SELECT ?g WHERE { ?g a <https://x.invalid/ontology#Oberziel> } ORDER BY ?g")
    return ["<" + r["g"].value.removeprefix("https://x.invalid/") + ">" for r in rows]


def kommune(w: Writer, k: int, goal_iris: list[str]) -> None:
    """The fixed part of one Kommune: bodies, unit, budget, programme of measures."""
    m = f"s:kommune-{k:02d}"
    src = ("dcterms:source", f"s:quelle-{k:02d}")
    name = f"Kommune {k:02d} (synthetisch)"
    w.subject(
        f"s:quelle-{k:02d}",
        ("a", "cgi:Quelldokument"),
        ("a", "foaf:Document"),
        ("skos:prefLabel", lit(f"Ratsinformationssystem der {name}")),
        ("dcterms:identifier", f'"synth-{k:02d}"'),
        ("dcterms:publisher", m),
    )
    w.subject(
        m,
        ("a", "cgi:Gebietskoerperschaft"),
        ("a", "org:FormalOrganization"),
        ("a", "org:Organization"),
        ("skos:prefLabel", lit(name)),
        ("foaf:name", f'"{name}"'),
        ("cgi:organisationsart", "art:kreisangehoerige-kommune"),
        ("org:classification", "art:kreisangehoerige-kommune"),
        src,
    )
    for slug, de, en, kind in BODIES:
        w.subject(
            f"{m}-{slug}",
            ("a", "cgi:Gremium"),
            ("a", "org:Organization"),
            ("a", "oparl:Organization"),
            ("skos:prefLabel", lit(f"{de} der {name}")),
            ("skos:prefLabel", lit(f"{en}, municipality {k:02d}", "en")),
            ("cgi:organisationsart", f"art:{kind}"),
            ("org:classification", f"art:{kind}"),
            ("org:subOrganizationOf", m),
            src,
        )
    w.subject(
        f"{m}-umweltamt",
        ("a", "cgi:Organisationseinheit"),
        ("a", "org:OrganizationalUnit"),
        ("a", "org:Organization"),
        ("skos:prefLabel", lit(f"Umweltamt der {name}")),
        ("cgi:organisationsart", "art:verwaltungseinheit"),
        ("org:unitOf", m),
        src,
    )
    w.subject(
        f"{m}-haushalt",
        ("a", "skos:ConceptScheme"),
        ("skos:prefLabel", lit(f"Produkthaushalt der {name}")),
        ("dcterms:title", lit(f"Produkthaushalt der {name}")),
        ("skos:hasTopConcept", f"{m}-produkt-56"),
        src,
    )
    w.subject(
        f"{m}-produkt-56",
        ("a", "cgi:Haushaltsposition"),
        ("a", "skos:Concept"),
        ("skos:inScheme", f"{m}-haushalt"),
        ("skos:topConceptOf", f"{m}-haushalt"),
        ("skos:notation", '"56.01"'),
        ("skos:prefLabel", lit("Umweltschutz und Grünflächen")),
        ("dcterms:type", "hh:produkt"),
        src,
    )
    w.subject(
        f"{m}-programm",
        ("a", "cgi:Programm"),
        ("a", "prov:Plan"),
        ("skos:prefLabel", lit(f"Umsetzungsprogramm Grüne Infrastruktur der {name}")),
        ("dcterms:publisher", m),
        src,
    )
    for i, goal in enumerate(goal_iris, 1):
        w.subject(
            f"{m}-massnahme-{i:02d}",
            ("a", "cgi:Programmbestandteil"),
            ("skos:prefLabel", lit(f"Maßnahme {i} der {name}")),
            ("dcterms:isPartOf", f"{m}-programm"),
            ("dcterms:subject", goal),
            ("cgi:anzahlEinzelmassnahmen", str(1 + (k * i) % 9)),
            src,
        )


def paper(
    w: Writer, rng: random.Random, k: int, n: int, goal_iris: list[str], meetings: set[str]
) -> None:
    """One council paper on a goal, consulted in three meetings, decided in the council."""
    m = f"s:kommune-{k:02d}"
    src = ("dcterms:source", f"s:quelle-{k:02d}")
    ds = f"s:ds-{k:02d}-{n:05d}"
    year = 2023 + n % 3
    ident = f"{n:04d}/{year % 100:02d}"
    topic = " ".join(rng.sample(WORDS, 3))
    goal = rng.choice(goal_iris)
    start = date(year, 1, 9) + timedelta(days=7 * rng.randrange(40))
    steps = [
        (BODIES[1 + n % 3][0], BODIES[1 + n % 3][1], start, False),
        ("hauptausschuss", BODIES[3][1], start + timedelta(days=14), False),
        ("rat", BODIES[0][1], start + timedelta(days=21), True),
    ]
    w.subject(
        ds,
        ("a", "cgi:Drucksache"),
        ("a", "oparl:Paper"),
        ("dcterms:identifier", f'"{ident}"'),
        ("skos:prefLabel", lit(f"Drucksache {ident}: {topic} (synthetisch)")),
        ("dcterms:title", lit(f"{topic}: Beitrag zur Charta Grüne Infrastruktur")),
        ("dcterms:publisher", m),
        ("cgi:federfuehrend", f"{m}-umweltamt"),
        ("cgi:beschlussvorschlag", lit(f"Der Rat beschließt Maßnahmen zu {topic}.")),
        ("dcterms:subject", goal),
        ("cgi:haushaltsposition", f"{m}-produkt-56"),
        *[("cgi:beratung", f"{ds}-b{i}") for i in range(1, 4)],
        src,
    )
    for i, (slug, body, when, decides) in enumerate(steps, 1):
        sitzung = f"{m}-{slug}-{when.isoformat()}"
        w.subject(
            f"{ds}-b{i}",
            ("a", "cgi:Beratung"),
            ("a", "oparl:Consultation"),
            ("skos:prefLabel", lit(f"Beratung von {ident} im Gremium {body} am {when:%d.%m.%Y}")),
            ("schema:position", str(i)),
            ("cgi:drucksache", ds),
            ("cgi:gremium", f"{m}-{slug}"),
            ("dcterms:date", day(when)),
            (
                "cgi:beratungsrolle",
                "rolle:entscheidung" if decides else "rolle:empfehlungsbeschluss",
            ),
            ("cgi:entscheidend", "true" if decides else "false"),
            ("cgi:beratungsstatus", "status:oeffentlich"),
            ("cgi:sitzung", sitzung),
            src,
        )
        if sitzung not in meetings:
            meetings.add(sitzung)
            w.subject(
                sitzung,
                ("a", "cgi:Sitzung"),
                ("a", "oparl:Meeting"),
                ("skos:prefLabel", lit(f"Sitzung: {body} am {when:%d.%m.%Y}")),
                ("cgi:gremium", f"{m}-{slug}"),
                ("dcterms:date", day(when)),
                src,
            )
    w.subject(
        f"{ds}-beschluss",
        ("a", "cgi:Beschluss"),
        ("a", "cgi:Ereignis"),
        ("skos:prefLabel", lit(f"Beschluss des Rates zu {ident}")),
        ("cgi:ereignisart", "ea:beschlussfassung"),
        ("cgi:gremium", f"{m}-rat"),
        ("dcterms:date", day(steps[2][2])),
        ("cgi:beschlossenesDokument", ds),
        ("cgi:beschlussergebnis", "<id/werteliste/beschlussergebnis/beschlossen>"),
        src,
    )


def count_real(root: Path) -> int:
    import pyoxigraph as ox

    store = ox.Store()
    for folder in ("ontology", "data"):
        for path in sorted((root / folder).glob("*.ttl")):
            store.load(path.read_bytes(), format=ox.RdfFormat.TURTLE, base_iri="https://x.invalid/")
    return len(store)


def generate(triples: int, out: Path, seed: int = 2022) -> int:
    """Write a project folder of about ``triples`` triples into ``out``; returns the count."""
    if out.exists():
        shutil.rmtree(out)
    for name in ("ontology", "data", "shapes"):
        shutil.copytree(ROOT / name, out / name)
    real = count_real(ROOT)
    if triples <= real:
        return real
    rng = random.Random(seed)
    goal_iris = goals(ROOT)
    w = Writer(out / "data" / "synthetisch.ttl")
    # Small sizes get fewer Kommunen, so papers stay most of the load at every size.
    kommunen = max(1, min(KOMMUNEN, int(0.4 * (triples - real) / PER_KOMMUNE)))
    for k in range(1, kommunen + 1):
        kommune(w, k, goal_iris)
    meetings: set[str] = set()
    n = 0
    while real + w.triples < triples:
        n += 1
        paper(w, rng, 1 + n % kommunen, n, goal_iris, meetings)
    w.close()
    return real + w.triples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=float, required=True, help="target size, e.g. 1e5")
    parser.add_argument("--out", type=Path, required=True, help="project folder to (re)write")
    parser.add_argument("--seed", type=int, default=2022)
    args = parser.parse_args(argv)
    n = generate(int(args.triples), args.out, args.seed)
    print(f"{args.out}: {n} triples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
