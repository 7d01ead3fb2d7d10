"""Which language a person gets, and how they change it: the pages and the CLI.

The pages follow a `?lang=` link (remembered in a cookie that holds only the language), else
that cookie, else Accept-Language, else English; Arabic pages are right to left. The CLI follows
the terminal's LANGUAGE / LC_ALL / LC_MESSAGES / LANG.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient

from hashstop import i18n
from hashstop.app import create_app
from tests.service_fixtures import make_settings, running_client

VICTIM_PAGES = ["/", "/submit", "/case"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("en-GB,en;q=0.9,fr;q=0.8", "en"),
        ("pt-BR,fr-CA;q=0.7", "fr"),
        ("de;q=0.2,ar;q=0.9", "ar"),
        ("fr;q=0, de", "de"),
        ("ja,zh;q=0.9", "en"),
        ("*", "en"),
        ("de;q=bad, es;q=0.5", "es"),
        ("x" * 5000, "en"),
    ],
)
def test_accept_language_is_negotiated(header, expected):
    assert i18n.negotiate(header) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"LANG": "es_ES.UTF-8"}, "es"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8", "LC_ALL": "fr_FR.UTF-8"}, "fr"),
        ({"LANGUAGE": "pt:ar", "LANG": "de_DE.UTF-8"}, "ar"),
        ({"LANGUAGE": "pt", "LANG": "de_DE.UTF-8"}, "de"),
        ({"LC_MESSAGES": "ja_JP.UTF-8", "LANG": "es_ES"}, "en"),
    ],
)
def test_the_terminal_language(environ, expected):
    assert i18n.terminal_language(environ) == expected


def test_english_is_the_default_outside_a_chosen_language():
    assert i18n.gettext("Your case") == "Your case"
    with i18n.use("es"):
        assert i18n.gettext("Your case") == "Tu caso"
        assert i18n.ngettext("%(num)s photo", "%(num)s photos", 3) == "3 fotos"
        with i18n.use("xx"):
            assert i18n.current().code == "en"
    assert i18n.current().code == "en"


def test_arabic_plural_forms():
    with i18n.use("ar"):
        forms = [i18n.ngettext("%(num)s photo", "%(num)s photos", n) for n in (0, 1, 2, 5, 11, 100)]
    assert forms == ["0 صورة", "صورة واحدة", "صورتان", "5 صور", "11 صورة", "100 صورة"]


@pytest.fixture
def pages(sqlite_url: str) -> Iterator[TestClient]:
    app = create_app(make_settings(sqlite_url))
    yield running_client(app)
    app.state.runtime.database.dispose()


def _lang_dir(html: str) -> tuple[str, str]:
    match = re.search(r'<html lang="(\w+)" dir="(\w+)">', html)
    assert match is not None
    return match[1], match[2]


@pytest.mark.parametrize("path", VICTIM_PAGES)
def test_pages_follow_the_browser_then_a_chosen_language(pages, path):
    response = pages.get(path, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert _lang_dir(response.text) == ("fr", "ltr")
    assert response.headers["content-language"] == "fr"
    assert "accept-language" in response.headers["vary"].lower()
    assert "set-cookie" not in response.headers  # nothing is kept for a visit
    chosen = pages.get(f"{path}?lang=ar", headers={"Accept-Language": "fr"})
    assert _lang_dir(chosen.text) == ("ar", "rtl")
    cookie = chosen.headers["set-cookie"]
    assert cookie.startswith("hashstop_lang=ar;") and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower() and "Max-Age=31536000" in cookie
    # The cookie holds the language and nothing else; it now wins over the browser's header.
    assert pages.cookies.get("hashstop_lang") == "ar"
    later = pages.get(path, headers={"Accept-Language": "fr"})
    assert _lang_dir(later.text) == ("ar", "rtl")
    assert "set-cookie" not in later.headers
    pages.cookies.clear()


def test_a_bad_language_choice_is_ignored(pages):
    response = pages.get("/?lang=../../etc", headers={"Accept-Language": "de"})
    assert _lang_dir(response.text) == ("de", "ltr")
    assert "set-cookie" not in response.headers
    pages.cookies.set("hashstop_lang", "<script>")
    assert _lang_dir(pages.get("/").text) == ("en", "ltr")
    pages.cookies.clear()


@pytest.mark.parametrize("path", VICTIM_PAGES)
def test_every_victim_page_links_to_every_language_without_javascript(pages, path):
    html = pages.get(path, headers={"Accept-Language": "es"}).text
    links = re.findall(
        r'<a href="([^"]+)" lang="(\w+)" hreflang="\w+"( aria-current="true")?', html
    )
    assert [(unescape(href), code) for href, code, _ in links] == [
        (f"{path}?lang={code}", code) for code in i18n.LANGUAGES
    ]
    assert [code for _, code, current in links if current] == ["es"]


def test_a_page_speaks_the_language_and_gives_its_scripts_their_messages(pages):
    html = pages.get("/submit?lang=de").text
    assert "Ihre Fotos registrieren" in html and "Register your photos" not in html
    data = re.search(r'<script type="application/json" id="hashstop-messages">(.*?)</script>', html)
    assert data is not None
    messages = json.loads(unescape(data[1]))
    assert messages["lang"] == "de" and messages["plural"] == ["one", "other"]
    assert messages["messages"]["Remove"] == "Entfernen"
    assert messages["messages"]["%(num)s photo"] == ["%(num)s Foto", "%(num)s Fotos"]
    # Only the scripts' messages travel with the page, not the whole catalogue.
    assert "Stop your private photos from being shared" not in messages["messages"]


def test_review_pages_stay_english(pages):
    html = pages.get("/review/sign-in?lang=es", headers={"Accept-Language": "es"}).text
    assert _lang_dir(html) == ("en", "ltr")
    assert "Skip to content" in html


def _hashstop(*args: str, lang: str, tmp_path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env.update(LANG=lang, HASHSTOP_DATA_DIR=str(tmp_path))
    code = "from hashstop.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("es_ES.UTF-8", "no existe el archivo o la carpeta: no-such-photo.jpg; no se envió nada"),
        ("ar_EG.UTF-8", "لا يوجد ملف أو مجلد بهذا الاسم: no-such-photo.jpg؛ لم يُرسَل شيء"),
        ("C.UTF-8", "no such file or folder: no-such-photo.jpg; nothing was sent"),
    ],
)
def test_the_cli_speaks_the_terminals_language(tmp_path, lang, expected):
    result = _hashstop("submit", "no-such-photo.jpg", lang=lang, tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"Error: {expected}"


def test_the_cli_lists_no_cases_in_german(tmp_path):
    result = _hashstop("status", lang="de_DE.UTF-8", tmp_path=tmp_path)
    assert result.returncode == 1
    assert "auf diesem Computer sind keine Fälle gespeichert" in result.stderr
