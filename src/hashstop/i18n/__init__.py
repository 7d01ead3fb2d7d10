"""One message catalogue for every word a person reads: the pages, their scripts, the CLI.

The catalogue is gettext. `hashstop.pot` is extracted from the code (templates, Python, the
pages' JavaScript) by `python -m scripts.translations`; each language has its
`locales/<code>/LC_MESSAGES/hashstop.po`, written by people, and the `.mo` compiled from it beside
it. The `.mo` files are committed and shipped as package data, so a plain `pip install` (wheel,
editable or not) carries them, and this module needs only the standard library at run time:
the victim's light client does not install Babel.

Who picks the language: the CLI follows the terminal (LANGUAGE, LC_ALL, LC_MESSAGES, LANG); a
page follows the person's choice, then the browser (Accept-Language) (see
`hashstop.web.language`). Everything else (the JSON API, logs, library errors) stays English:
the language of the current context is English until someone sets it.

Every message is a %-format string, formatted every time (so a literal percent sign is written
`%%`); plural messages get their count as `%(num)s`. Jinja templates and the JavaScript use the
same rules, so one message reads the same everywhere. What this module refuses: a language
outside `LANGUAGES` (the person gets English, never a half-translated page), and a translation
that is empty (the English text is shown instead).
"""

from __future__ import annotations

import gettext as _gettext
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

DOMAIN = "hashstop"
HERE = Path(__file__).resolve().parent
LOCALE_DIR = HERE / "locales"
JAVASCRIPT_MESSAGES = HERE / "javascript.json"
"""The messages the pages' scripts use (written by the extraction, like the .pot): only these
are put in a page for its scripts."""


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, as a person looking for it would recognise it
    direction: Literal["ltr", "rtl"]
    plural_categories: tuple[str, ...]
    """The CLDR plural categories in the order of the catalogue's plural forms (msgstr[0],
    msgstr[1], ...): the browser picks a form with Intl.PluralRules through this list."""


DEFAULT = "en"
LANGUAGES: dict[str, Language] = {
    language.code: language
    for language in (
        Language("en", "English", "ltr", ("one", "other")),
        Language("es", "Español", "ltr", ("one", "many", "other")),
        Language("fr", "Français", "ltr", ("one", "many", "other")),
        Language("de", "Deutsch", "ltr", ("one", "other")),
        Language("ar", "العربية", "rtl", ("zero", "one", "two", "few", "many", "other")),
    )
}

_current: ContextVar[str] = ContextVar("hashstop_language", default=DEFAULT)


class Catalogue(_gettext.GNUTranslations):
    """One language's compiled catalogue; `entries()` lists its translations (for the scripts)."""

    def entries(self) -> dict[Any, str]:
        catalog: dict[Any, str] = self._catalog  # type: ignore[attr-defined]
        return catalog


@cache
def catalogue(code: str) -> _gettext.NullTranslations:
    """The translations of `code`; English (and any unknown code) translates nothing."""
    if code == DEFAULT or code not in LANGUAGES:
        return _gettext.NullTranslations()
    path = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as compiled:
        return Catalogue(compiled)


def current() -> Language:
    return LANGUAGES[_current.get()]


@contextmanager
def use(code: str) -> Iterator[Language]:
    """Speak `code` (a key of LANGUAGES, else English) inside the block."""
    token = _current.set(code if code in LANGUAGES else DEFAULT)
    try:
        yield current()
    finally:
        _current.reset(token)


def set_language(code: str) -> Language:
    """Speak `code` from now on in this context (the CLI, once, at start)."""
    _current.set(code if code in LANGUAGES else DEFAULT)
    return current()


def lookup(message: str) -> str:
    """`message` in the current language, not formatted (for Jinja, which formats itself)."""
    return catalogue(_current.get()).gettext(message)


def lookup_plural(singular: str, plural: str, num: int) -> str:
    """The form of a counted message for `num` in the current language, not formatted."""
    return catalogue(_current.get()).ngettext(singular, plural, num)


def gettext(message: str, **values: Any) -> str:
    """`message` in the current language, formatted with `values` (`%(name)s`)."""
    return lookup(message) % values


def ngettext(singular: str, plural: str, num: int, **values: Any) -> str:
    """The form of a counted message for `num` (given to it as `%(num)s`), formatted."""
    return lookup_plural(singular, plural, num) % {"num": num, **values}


_ = gettext


def terminal_language(environ: dict[str, str] | None = None) -> str:
    """The language a terminal asks for (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), as gettext reads
    them: the first of those set wins; LANGUAGE may list several, in order of preference."""
    environ = dict(os.environ) if environ is None else environ
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if not value:
            continue
        for candidate in value.split(":"):
            code = candidate.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
            if code in LANGUAGES:
                return code
            if code in ("c", "posix"):
                return DEFAULT
        if variable != "LANGUAGE":
            return DEFAULT
    return DEFAULT


def negotiate(accept_language: str | None) -> str:
    """The best of LANGUAGES for an Accept-Language header (RFC 9110), English if none fits.

    Only the primary subtag counts (`es-MX` gets Spanish); `q=0` refuses a language; ties keep
    the browser's order."""
    if not accept_language:
        return DEFAULT
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language[:1000].split(",")):
        tag, _sep, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        code = tag.strip().split("-")[0].lower()
        if quality > 0 and code in LANGUAGES:
            ranked.append((-quality, position, code))
        elif quality > 0 and code == "*":
            ranked.append((-quality, position, DEFAULT))
    return min(ranked)[2] if ranked else DEFAULT


@cache
def _javascript_ids() -> list[list[str]]:
    ids: list[list[str]] = json.loads(JAVASCRIPT_MESSAGES.read_text(encoding="utf-8"))
    return ids


def javascript_catalogue(code: str) -> dict[str, Any]:
    """What a page's scripts need for `code`: the language, its plural categories, and the
    translations of the scripts' messages (msgid -> text, or a list of plural forms). Messages
    without a translation are left out: the scripts show their English text."""
    language = LANGUAGES[code if code in LANGUAGES else DEFAULT]
    messages: dict[str, Any] = {}
    translations = catalogue(language.code)
    entries = translations.entries() if isinstance(translations, Catalogue) else {}
    for ids in _javascript_ids():
        if len(ids) == 1 and entries.get(ids[0]):
            messages[ids[0]] = entries[ids[0]]
        elif len(ids) == 2:
            forms = [entries.get((ids[0], i), "") for i in range(len(language.plural_categories))]
            if all(forms):
                messages[ids[0]] = forms
    return {
        "lang": language.code,
        "plural": list(language.plural_categories),
        "messages": messages,
    }
