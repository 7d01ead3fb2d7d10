"""The message catalogue is complete, in step with the code, and nothing bypasses it.

- The committed `.pot` and `javascript.json` are exactly what extraction finds in the code now
  (a new message that was not extracted fails here: run `python -m scripts.translations`).
- Every language has every message, translated (all plural forms), none fuzzy, none unused.
- Each translation keeps its message's placeholders and its HTML markup.
- Each committed `.mo` is exactly the compiled `.po`.
- No English text sits in a victim template outside `_()` / `{% trans %}`, in the pages' scripts
  outside `t()` / `tn()`, or in the victim CLI's messages outside `_()` / `ngettext()`.
"""

from __future__ import annotations

import ast
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from scripts import translations

from hashstop import i18n

SRC = Path(__file__).resolve().parents[2] / "src" / "hashstop"
TEMPLATES = SRC / "web" / "templates"
PAGE_SCRIPTS = SRC / "web" / "static" / "js" / "pages"
TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]
# Templates shown to victims: every word in them goes through the catalogue. The /review pages
# (moderators) and the Swagger page are English for now; they are listed here so that a new
# template is checked unless someone decides otherwise.
ENGLISH_ONLY_TEMPLATES = {"api-docs.html"} | {
    p.relative_to(TEMPLATES).as_posix() for p in (TEMPLATES / "review").glob("*.html")
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
TAG = re.compile(r"</?[a-z][^>]*>")


def _ids(catalog: Catalog) -> set[Any]:
    return {m.id for m in catalog if m.id}


def _po(code: str) -> Catalog:
    with (i18n.LOCALE_DIR / code / "LC_MESSAGES" / "hashstop.po").open("rb") as source:
        return read_po(source, locale=code)


@pytest.fixture(scope="module")
def extracted() -> tuple[Catalog, list[list[str]]]:
    return translations.extract()


def test_the_template_is_what_the_code_uses(extracted):
    template, javascript = extracted
    with translations.POT.open("rb") as source:
        committed = read_po(source)
    assert _ids(committed) == _ids(template), "run: python -m scripts.translations"
    assert json.loads(i18n.JAVASCRIPT_MESSAGES.read_text(encoding="utf-8")) == javascript


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_and_none_is_unused(extracted, code):
    template, _ = extracted
    catalog = _po(code)
    assert _ids(catalog) - _ids(template) == set(), "unused messages: run the script"
    assert _ids(template) - _ids(catalog) == set(), "missing messages: run the script"
    untranslated = [
        m.id
        for m in catalog
        if m.id
        and (
            m.fuzzy
            or not (all(m.string) if isinstance(m.string, tuple | list) else m.string)
            or (isinstance(m.string, tuple | list) and len(m.string) != catalog.num_plurals)
        )
    ]
    assert untranslated == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_placeholders_and_markup(code):
    problems = []
    for message in _po(code):
        if not message.id:
            continue
        ids = (
            tuple(str(i) for i in message.id)
            if isinstance(message.id, tuple)
            else (str(message.id),)
        )
        raw = message.string
        forms: tuple[str, ...] = tuple(raw) if isinstance(raw, tuple | list) else (raw or "",)
        wanted = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        tags = sorted(TAG.findall(ids[0]))
        for form in forms:
            found = set(PLACEHOLDER.findall(form))
            # A plural form may leave out its count ("one file", in words); nothing else.
            if found != wanted and not (len(ids) == 2 and found == wanted - {"num"}):
                problems.append(f"{ids[0]!r}: placeholders {sorted(found)} != {sorted(wanted)}")
            if sorted(TAG.findall(form)) != tags:
                problems.append(f"{ids[0]!r}: markup differs in {form!r}")
            try:
                form % dict.fromkeys(wanted, "x")
            except (KeyError, ValueError, TypeError) as exc:
                problems.append(f"{ids[0]!r}: {form!r} does not format ({exc})")
    assert problems == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalogue_is_the_po_file(code):
    committed = (i18n.LOCALE_DIR / code / "LC_MESSAGES" / "hashstop.mo").read_bytes()
    assert committed == translations.compiled(_po(code)), "run: python -m scripts.translations"


@pytest.mark.parametrize("code", TRANSLATED)
def test_plural_categories_follow_the_catalogues_plural_rule(code):
    """The browser picks a plural form by CLDR category (Intl.PluralRules) through
    LANGUAGES[code].plural_categories; Python by the .mo's Plural-Forms. They must agree."""
    from babel import Locale

    rule = Locale.parse(code).plural_form
    catalogue = i18n.catalogue(code)
    categories = i18n.LANGUAGES[code].plural_categories
    assert _po(code).num_plurals == len(categories)
    for n in [*range(0, 130), 1000, 1001, 1_000_000, 2_000_000]:
        index = catalogue.plural(n)  # type: ignore[attr-defined]
        assert categories[index] == rule(n), (code, n)


# --- Nothing bypasses the catalogue ----------------------------------------------------------

JINJA_TRANSLATED = re.compile(
    r"{%-?\s*trans\b.*?%}.*?{%-?\s*endtrans\s*-?%}|{{-?\s*_\((?:[^()]|\([^()]*\))*\)\s*-?}}", re.S
)
JINJA_ANY = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
VISIBLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "label"}
BRAND = {"hashstop"}


class _Text(HTMLParser):
    """Visible text and labelling attributes of an HTML fragment (code and data excepted)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("code", "script", "style", "pre"):
            self.skip += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value:
                self.found.append(value)
            if tag == "input" and name == "value" and value:
                self.found.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "script", "style", "pre") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.found.append(data)


def words_outside_the_catalogue(source: str) -> list[str]:
    """The words of a template that are neither in `_()` / `{% trans %}` nor the brand."""
    bare = JINJA_ANY.sub(" ", JINJA_TRANSLATED.sub(" ", source))
    parser = _Text()
    parser.feed(bare)
    parser.close()
    words = re.findall(r"[^\W\d_]{2,}", " ".join(parser.found))
    return [w for w in words if w.lower() not in BRAND]


def test_the_checker_finds_a_bypassing_string():
    assert words_outside_the_catalogue('<p>{{ _("Fine") }}</p><p>Not fine</p>') == ["Not", "fine"]
    assert words_outside_the_catalogue('<a aria-label="Close">{% trans %}x y{% endtrans %}</a>')
    assert words_outside_the_catalogue("<p>{% trans %}All <b>good</b>{% endtrans %}</p>") == []
    assert words_outside_the_catalogue("<p><code>hsc_abc</code> {{ value }}</p>") == []


@pytest.mark.parametrize(
    "name",
    sorted(
        p.relative_to(TEMPLATES).as_posix()
        for p in TEMPLATES.rglob("*.html")
        if p.relative_to(TEMPLATES).as_posix() not in ENGLISH_ONLY_TEMPLATES
    ),
)
def test_no_template_text_bypasses_the_catalogue(name):
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    # Jinja comments are notes for developers, never shown.
    assert words_outside_the_catalogue(re.sub(r"{#.*?#}", "", source, flags=re.S)) == []


# A string literal in a page script that reads like words for a person: two or more words with
# letters, or one ending like a sentence. Import paths, CSS classes, ids and event names do not.
JS_LITERAL = r"""(?:"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')"""
JS_TRANSLATED = re.compile(rf"\b(?:t|tn)\(\s*{JS_LITERAL}(?:\s*,\s*{JS_LITERAL})?")
JS_STRING = re.compile(r"""(?P<q>["'`])(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)""")
# Module paths, MIME types, ids and CSS classes ("secondary remove"): lower-case, no sentence.
JS_EXEMPT = re.compile(
    r"^(?:[./\w-]+\.(?:js|json)|[\w.-]+/[\w.+*-]+|#?[a-z][\w-]*(?: [a-z][\w-]*)?)$"
)


def script_strings_outside_the_catalogue(source: str) -> list[str]:
    source = re.sub(r"^\s*//[^\n]*|/\*.*?\*/", "", source, flags=re.S | re.M)
    source = JS_TRANSLATED.sub("t(", source)
    found = []
    for match in JS_STRING.finditer(source):
        text = match["text"]
        if JS_EXEMPT.match(text) or not re.search(r"[^\W\d_]{2,}", text):
            continue
        prose = re.sub(r"\$\{[^}]*\}", " ", text)
        tokens = prose.replace(",", " ").split()
        if all("/" in token or "[" in token for token in tokens):
            continue  # MIME types, selectors
        if len(text.split()) == 1 and not re.search(r"[.…:?!]$", prose):
            continue  # one token: an id, a header name, a file name
        if len(re.findall(r"[^\W\d_]{2,}", prose)) >= 2 or re.search(r"[.…:?!]$", prose):
            found.append(text)
    return found


def test_the_script_checker_finds_a_bypassing_string():
    source = (
        'x.textContent = "Sending now"; y = t("Fine words"); '
        'z = tn("one %(num)s", "%(num)s many", n);'
    )
    assert script_strings_outside_the_catalogue(source) == ["Sending now"]
    assert (
        script_strings_outside_the_catalogue(
            'import { t } from "../i18n.js"; e.className = "secondary remove";'
        )
        == []
    )


@pytest.mark.parametrize("name", sorted(p.name for p in PAGE_SCRIPTS.glob("*.js")))
def test_no_page_script_text_bypasses_the_catalogue(name):
    source = (PAGE_SCRIPTS / name).read_text(encoding="utf-8")
    assert script_strings_outside_the_catalogue(source) == []
    # The extractor does not look inside template literals: a t() there is never translated.
    assert re.findall(r"\$\{\s*tn?\(", source) == []


VICTIM_PYTHON = [
    "cli/submit.py",
    "cli/case.py",
    "cli/case_access.py",
    "cli/hash.py",
    "cli/errors.py",
    "client/api_client.py",
    "client/receipts.py",
    "client/collection.py",
    "client/fingerprints.py",
]
SPEAKING_CALLS = {
    "echo",
    "say",
    "ask",
    "Problem",
    "MistypedPath",
    "Stopped",
    "ReceiptError",
    "ServerUnreachable",
    "ServerFailed",
    "ServerRefused",
    "TextColumn",
}


def python_words_outside_the_catalogue(source: str) -> list[str]:
    """Literal words handed straight to a call that shows them to the victim."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name not in SPEAKING_CALLS:
            continue
        for argument in node.args[:1]:
            for part in ast.walk(argument):
                if isinstance(part, ast.Call) and getattr(part.func, "id", None) in {
                    "_",
                    "ngettext",
                }:
                    break
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    if re.search(r"[^\W\d_]{2,}", part.value):
                        found.append(part.value)
    return found


def test_the_python_checker_finds_a_bypassing_string():
    assert python_words_outside_the_catalogue('click.echo(f"Sent {n} files")') == [
        "Sent ",
        " files",
    ]
    assert python_words_outside_the_catalogue('click.echo(_("Sent %(n)s files", n=n))') == []


@pytest.mark.parametrize("name", VICTIM_PYTHON)
def test_no_victim_cli_message_bypasses_the_catalogue(name):
    assert python_words_outside_the_catalogue((SRC / name).read_text(encoding="utf-8")) == []
