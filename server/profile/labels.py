"""The Charta vocabulary's words a page needs beyond the ontology: how a page names the
resources that link to it by each of our properties, and which of our properties are
keys for machines (folded into "Technical details")."""

from __future__ import annotations

from server.i18n import N_

#: Our properties' inverse names, by local name (the vocabulary's namespace is
#: configurable). The ontology states each property one way, as the source does.
INVERSE_LABELS: dict[str, str] = {
    "abschnitt": N_("section of"),
    "anlage": N_("attachment of"),
    "aufwand": N_("expense of"),
    "ertrag": N_("income of"),
    "beitritt": N_("steps of this joining"),
    "beitrittsstatus": N_("joinings in this state"),
    "beratung": N_("consultation of"),
    "beratungsrolle": N_("consultations in this role"),
    "beratungsstatus": N_("consultations with this status"),
    "beschlossenesDokument": N_("decided by"),
    "beschlussergebnis": N_("decisions with this outcome"),
    "betrifft": N_("concerned by"),
    "drucksache": N_("consulted in"),
    "erarbeitetVon": N_("drafted or moderated"),
    "ereignisart": N_("events of this kind"),
    "ergebnis": N_("outcome of"),
    "federfuehrend": N_("in charge of"),
    "gremium": N_("consultations, meetings and decisions of this body"),
    "haushaltsposition": N_("budget item of"),
    "inhalt": N_("recorded in"),
    "institution": N_("joinings of this institution"),
    "kreisangehoerigIn": N_("municipalities of this district"),
    "massnahmenstatus": N_("measures in this state"),
    "oberziel": N_("measures towards this goal"),
    "organisationsart": N_("bodies of this kind"),
    "programm": N_("measures in this programme"),
    "sitzung": N_("consultations in this meeting"),
    "sitzungsstatus": N_("meetings in this state"),
    "teilergebnisVon": N_("partial outcomes"),
    "traeger": N_("measures it carries out"),
    "vorlage": N_("joinings decided on this paper"),
    "gebiet": N_("territory of"),
}


#: Our own properties that are keys for machines (official area keys).
TECHNICAL = frozenset(
    ("amtlicherGemeindeschluessel", "regionalschluessel", "kreisschluessel", "gebiet")
)
