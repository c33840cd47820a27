"""The languages the pages speak: gettext catalogues under ``server/translations/``.

Message ids are English (the ecosystem's norm); ``de`` and any further language
have a catalogue, English needs none. Views choose the language
(``server.web.negotiation.choose_lang``), Flask-Babel translates the
templates in it (set up in ``server.web.app``: this module knows no web module),
and code that gets a language passed in (dates and values in
:mod:`server.rdf.labels`) asks :func:`translations` for it.

Run as ``python -m server.i18n extract|update|compile|check`` to maintain the
catalogues; docs/translations.md says when.
"""

from __future__ import annotations

import io
import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel.support import NullTranslations, Translations

if TYPE_CHECKING:
    from babel.messages.catalog import Message

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
BABEL_CFG = TRANSLATIONS / "babel.cfg"
DOMAIN = "messages"
#: The language of the message ids, which needs no catalogue.
SOURCE_LANG = "en"
#: The page languages, the default first. A new one needs its catalogue too.
LANGS: tuple[str, ...] = ("de", "en")
DEFAULT_LANG = LANGS[0]


def N_(message: str) -> str:  # noqa: N802 (gettext's name: marked now, translated later)
    """Mark ``message`` for the catalogue where it is defined; whoever shows it translates it."""
    return message


@lru_cache(maxsize=16)
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang`` (the message ids themselves for English)."""
    if lang == SOURCE_LANG:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [lang], DOMAIN)


def other_langs(lang: str) -> list[str]:
    """The languages a page in ``lang`` offers to switch to, for the toggle."""
    return [other for other in LANGS if other != lang]


@lru_cache(maxsize=16)
def lang_name(lang: str) -> str:
    """A language's name in itself ("Deutsch", "English"), from CLDR."""
    from babel import Locale

    return (Locale.parse(lang).get_display_name(lang) or lang).capitalize()


# Maintaining the catalogues: the commands below, also run by tests/test_translations.py.


def extract() -> str:
    """The message template the sources hold now (what ``messages.pot`` should be)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.pofile import write_po

    with BABEL_CFG.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)  # type: ignore[no-untyped-call]
    catalog = Catalog(project="charta", fuzzy=False)
    found = extract_from_dir(
        str(ROOT / "server"),
        method_map,
        options_map,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    )
    for _filename, _lineno, message, comments, context in found:
        catalog.add(message, None, [], auto_comments=comments, context=context)
    out = io.BytesIO()
    write_po(out, catalog, omit_header=True, no_location=True, sort_output=True, width=100)
    return out.getvalue().decode("utf-8")


def compiled(lang: str) -> bytes:
    """The ``.mo`` bytes that ``lang``'s ``.po`` compiles to (what is committed)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalogue_langs() -> list[str]:
    """Every language that has a catalogue (all page languages but the source's)."""
    return [lang for lang in LANGS if lang != SOURCE_LANG]


def _update() -> None:
    """Write ``messages.pot`` and merge it into every ``.po`` (new strings untranslated)."""
    from babel.messages.pofile import read_po, write_po

    TEMPLATE.write_text(extract(), encoding="utf-8")
    with TEMPLATE.open("rb") as f:
        template = read_po(f)
    for lang in catalogue_langs():
        path = po_path(lang)
        if path.exists():
            with path.open("rb") as f:
                catalog = read_po(f, locale=lang, domain=DOMAIN)
        else:
            from babel.messages.catalog import Catalog

            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, domain=DOMAIN, project="charta")
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        with path.open("wb") as f:
            write_po(
                f, catalog, no_location=True, sort_output=True, width=100, ignore_obsolete=True
            )


def _compile() -> None:
    for lang in catalogue_langs():
        po_path(lang).with_suffix(".mo").write_bytes(compiled(lang))


def message_key(message: Message) -> tuple[str, str | None]:
    """A message's id (the singular of a plural) and context, as catalogues match them."""
    mid = message.id
    return (mid if isinstance(mid, str) else mid[0], message.context)


def problems() -> list[str]:
    """What is stale: the template against the sources, each catalogue against the
    template (missing, untranslated, obsolete), each ``.mo`` against its ``.po``."""
    from babel.messages.pofile import read_po

    found = []
    if TEMPLATE.read_text(encoding="utf-8") != extract():
        found.append("messages.pot is stale: run python -m server.i18n update")
    with TEMPLATE.open("rb") as f:
        wanted = {message_key(m) for m in read_po(f) if m.id}
    for lang in catalogue_langs():
        with po_path(lang).open("rb") as f:
            have = {message_key(m): m for m in read_po(f, locale=lang) if m.id}
        for key in sorted(wanted - set(have), key=str):
            found.append(f"{lang}: missing {key[0]!r}: run python -m server.i18n update")
        for key in sorted(set(have) - wanted, key=str):
            found.append(f"{lang}: obsolete {key[0]!r}: run python -m server.i18n update")
        for key, m in sorted(have.items(), key=str):
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            if m.fuzzy or not all(strings):
                found.append(f"{lang}: untranslated {key[0]!r}")
        mo = po_path(lang).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(lang):
            found.append(f"{lang}: messages.mo is stale: run python -m server.i18n compile")
    return found


def main(argv: list[str]) -> int:
    """``extract`` prints the template; ``update`` writes it and merges it into the
    catalogues; ``compile`` writes the ``.mo`` files; ``check`` says what is stale."""
    command = argv[0] if argv else ""
    if command == "extract":
        sys.stdout.write(extract())
    elif command == "update":
        _update()
    elif command == "compile":
        _compile()
    elif command == "check":
        for problem in problems():
            print(problem, file=sys.stderr)
        return 1 if problems() else 0
    else:
        print("usage: python -m server.i18n extract|update|compile|check", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
