"""Keep the message catalogue in step with the code: extract, update every language, compile.

    .venv/bin/python -m scripts.translations

1. Extracts every message from the Python code (`_()`, `gettext()`, `ngettext()`), the Jinja
   templates (`{{ _("...") }}`, `{% trans %}`, trimmed as the app renders them) and the pages'
   JavaScript (`t("...")`, `tn("...", "...", n)`) into `src/hashstop/i18n/hashstop.pot`, and the
   list of the JavaScript's messages into `src/hashstop/i18n/javascript.json`.
2. Updates each language's `hashstop.po`: new messages are added untranslated, changed ones are
   marked fuzzy (their old text kept as a hint), messages no longer used are removed.
3. Compiles each `.po` to the `.mo` the package runs on (fuzzy and untranslated entries are left
   out, so the English shows until someone translates them).

Then translate what is new in each `.po` (search for `msgstr ""` and `#, fuzzy`), and run this
again to compile. tests/test_translations.py fails while any message is untranslated, fuzzy or
unused, or when the committed files differ from what this script writes.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract as babel_extract_messages
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "src" / "hashstop"
I18N = PACKAGE / "i18n"
POT = I18N / "hashstop.pot"
JAVASCRIPT_MESSAGES = I18N / "javascript.json"
LOCALES = I18N / "locales"
LANGUAGES = ("es", "fr", "de", "ar")
# A fixed date: the files change only when the messages do.
CREATION_DATE = datetime(2026, 11, 28, tzinfo=UTC)

PYTHON_KEYWORDS: dict[str, Any] = {"_": None, "gettext": None, "ngettext": (1, 2)}
JAVASCRIPT_KEYWORDS: dict[str, Any] = {"t": None, "tn": (1, 2)}
JINJA_KEYWORDS: dict[str, Any] = {"_": None, "gettext": None, "ngettext": (1, 2)}

Message = str | tuple[str, str]


def _sources() -> Iterator[tuple[Path, Any, dict[str, Any], dict[str, str]]]:
    """(file, extraction method, keywords, options) of every file that may hold messages."""
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, "python", PYTHON_KEYWORDS, {}
    for path in sorted((PACKAGE / "web" / "templates").rglob("*.html")):
        yield path, babel_extract, JINJA_KEYWORDS, {"trimmed": "true"}
    for path in sorted((PACKAGE / "web" / "static" / "js").rglob("*.js")):
        yield path, "javascript", JAVASCRIPT_KEYWORDS, {}


def extract() -> tuple[Catalog, list[list[str]]]:
    """The template catalogue of every message, and the JavaScript's messages in order."""
    catalog = Catalog(
        project="hashstop",
        version="0.1",
        copyright_holder="the hashstop authors",
        msgid_bugs_address="",
        creation_date=CREATION_DATE,
        revision_date=CREATION_DATE,
        fuzzy=False,
    )
    javascript: list[list[str]] = []
    for path, method, keywords, options in _sources():
        relative = path.relative_to(REPO).as_posix()
        with path.open("rb") as source:
            found = list(_extract(method, source, keywords, options))
        for lineno, message, comments, context in found:
            catalog.add(
                message, None, [(relative, lineno)], auto_comments=comments, context=context
            )
            if method == "javascript":
                ids = [message] if isinstance(message, str) else list(message)
                if ids not in javascript:
                    javascript.append(ids)
    return catalog, javascript


def _extract(
    method: Any, source: io.BufferedReader, keywords: dict[str, Any], options: dict[str, str]
) -> Iterator[tuple[int, Message, list[str], str | None]]:
    for lineno, message, comments, context in babel_extract_messages(
        method, source, keywords=keywords, comment_tags=("TRANSLATORS:",), options=options
    ):
        if isinstance(message, tuple):
            message = (message[0], message[1])
        yield lineno, message, list(comments), context


def _write_po(catalog: Catalog, path: Path, **options: Any) -> None:
    out = io.BytesIO()
    write_po(out, catalog, width=100, include_lineno=False, sort_output=True, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def _read_po(path: Path, locale: str) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def compiled(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def update(template: Catalog) -> None:
    for language in LANGUAGES:
        path = LOCALES / language / "LC_MESSAGES" / "hashstop.po"
        if path.exists():
            catalog = _read_po(path, language)
        else:
            catalog = Catalog(locale=language, project="hashstop", version="0.1", fuzzy=False)
        catalog.update(template, update_header_comment=False, update_creation_date=False)
        catalog.obsolete.clear()  # a message the code no longer uses leaves the catalogue
        catalog.revision_date = CREATION_DATE
        catalog.creation_date = CREATION_DATE
        _write_po(catalog, path, ignore_obsolete=True)
        path.with_suffix(".mo").write_bytes(compiled(_read_po(path, language)))


def main() -> int:
    template, javascript = extract()
    _write_po(template, POT)
    JAVASCRIPT_MESSAGES.write_text(
        json.dumps(javascript, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    update(template)
    missing = 0
    for language in LANGUAGES:
        catalog = _read_po(LOCALES / language / "LC_MESSAGES" / "hashstop.po", language)
        todo = [m for m in catalog if m.id and (m.fuzzy or not all(_strings(m)))]
        missing += len(todo)
        print(f"{language}: {len(todo)} message(s) to translate")  # noqa: T201
    print(f"{len(template)} messages; wrote {POT.relative_to(REPO)} and the catalogues")  # noqa: T201
    return 0 if missing == 0 else 1


def _strings(message: Any) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


if __name__ == "__main__":
    sys.exit(main())
