"""Example queries for the SPARQL editor: real questions about the Charta.

Each uses only standard vocabularies where it can, so researchers can reuse
the patterns on other data. Tests run every one and expect rows.
"""

from __future__ import annotations

from server.i18n import N_
from server.web.extension import Example

PROLOGUE = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <http://schema.org/>
"""


EXAMPLES: tuple[Example, ...] = (
    Example(
        "themes",
        N_("The charter's themes and goals"),
        PROLOGUE
        + """
SELECT ?nr ?leitthema ?oberziel WHERE {
  ?charta skos:hasTopConcept ?t .
  ?t skos:notation ?nr ; skos:prefLabel ?leitthema ; schema:position ?tp .
  ?z skos:broader ?t ; skos:prefLabel ?oberziel ; schema:position ?zp .
  FILTER(lang(?leitthema) = "de" && lang(?oberziel) = "de")
} ORDER BY ?tp ?zp""",
    ),
    Example(
        "beratungsfolge",
        N_("Who consulted DS 085/23, and when?"),
        PROLOGUE
        + """
SELECT ?datum ?gremium ?rolle ?status WHERE {
  ?drucksache dcterms:identifier "DS 085/23" .
  ?beratung dcterms:relation ?drucksache ; dcterms:date ?datum ;
            dcterms:contributor ?g ; dcterms:type ?r ; dcterms:accessRights ?s .
  ?g skos:prefLabel ?gremium . ?r skos:prefLabel ?rolle . ?s skos:prefLabel ?status .
  FILTER(lang(?gremium) = "de" && lang(?rolle) = "de" && lang(?status) = "de")
} ORDER BY ?datum""",
    ),
    Example(
        "beschluesse",
        N_("Decisions and events around the charter"),
        PROLOGUE
        + """
SELECT ?datum ?ereignis ?gremium ?quelle WHERE {
  ?e a prov:Activity ; prov:wasAssociatedWith ?g ; dcterms:date ?datum ;
     skos:prefLabel ?ereignis ; dcterms:source ?quelle .
  ?g skos:prefLabel ?gremium .
  FILTER(lang(?ereignis) = "de" && lang(?gremium) = "de")
} ORDER BY ?datum""",
    ),
    Example(
        "offensive",
        N_("Parts of the Offensive Grüne Infrastruktur 2030"),
        PROLOGUE
        + """
SELECT ?bestandteil ?teil WHERE {
  ?o skos:prefLabel "Offensive Grüne Infrastruktur 2030"@de ; dcterms:hasPart ?b .
  ?b skos:prefLabel ?bestandteil . FILTER(lang(?bestandteil) = "de")
  OPTIONAL { ?b dcterms:hasPart ?t . ?t skos:prefLabel ?teil . FILTER(lang(?teil) = "de") }
}""",
    ),
    Example(
        "kommunen",
        N_("Municipalities of the District of Unna with official keys"),
        PROLOGUE
        + """
SELECT ?kommune ?ags WHERE {
  ?kreis skos:prefLabel "Kreis Unna"@de .
  ?k org:linkedTo ?kreis ; skos:prefLabel ?kommune ; dcterms:identifier ?ags .
} ORDER BY ?ags""",
    ),
    Example(
        "beitritte",
        N_("Who has joined the charter, by which body and paper?"),
        PROLOGUE
        + """PREFIX adms: <http://www.w3.org/ns/adms#>

# The register's joinings in standard terms: schema:agent the institution,
# schema:object the charter, adms:status how far it got, schema:instrument the paper,
# dcterms:contributor the deciding body.
SELECT ?institution ?stand ?datum ?gremium ?vorlage WHERE {
  ?charta skos:prefLabel "Charta Grüne Infrastruktur Metropole Ruhr"@de .
  ?beitritt schema:object ?charta ; schema:agent ?i ; adms:status ?s .
  ?i skos:prefLabel ?institution . FILTER(lang(?institution) = "de")
  ?s skos:prefLabel ?stand . FILTER(lang(?stand) = "de")
  OPTIONAL { ?beitritt dcterms:date ?datum }
  OPTIONAL { ?beitritt dcterms:contributor ?g .
             ?g skos:prefLabel ?gremium . FILTER(lang(?gremium) = "de") }
  OPTIONAL { ?beitritt schema:instrument ?p . ?p dcterms:identifier ?vorlage }
} ORDER BY ?datum ?institution""",
    ),
    Example(
        "massnahmen",
        N_("Measures of the register: programme, place and state"),
        PROLOGUE
        + """PREFIX adms: <http://www.w3.org/ns/adms#>

SELECT ?massnahme ?programm ?ort ?stand ?quelle WHERE {
  ?m a schema:Project ; adms:status ?s ; dcterms:isPartOf ?p ; dcterms:source ?quelle ;
     skos:prefLabel ?massnahme .
  ?p skos:prefLabel ?programm . FILTER(lang(?programm) = "de")
  ?s skos:prefLabel ?stand . FILTER(lang(?stand) = "de")
  OPTIONAL { ?m schema:location ?ort }
} ORDER BY ?programm ?massnahme""",
    ),
    Example(
        "quellen",
        N_("How many resources come from which source?"),
        PROLOGUE
        + """
SELECT ?quelle (COUNT(DISTINCT ?s) AS ?ressourcen) WHERE {
  ?s dcterms:source ?quelle .
} GROUP BY ?quelle ORDER BY DESC(?ressourcen)""",
    ),
)
