"""Every victim page in every language, in real Chromium, on a phone-sized screen.

For Spanish, French, German and Arabic: each page (home; /submit with a photo and a video
fingerprinted and ready to send, then the receipt; /case with a case open) shows no English,
judged word by word: every word on screen (text and labels) must be a word of that language's
catalogue, so a string that bypasses the catalogue, in a template or a script, fails here.
Arabic pages are laid out right to left (the brand on the right, nothing wider than the screen),
and the scripts pick Arabic's plural forms.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from hashstop import i18n
from tests.web.live_service import LiveService

pytestmark = pytest.mark.chromium

WAIT_MS = 60_000
LANGUAGES = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]
WORD = re.compile(r"[^\W\d_]{2,}")
# Words that are no one's language: the brand and the technical names kept in every language.
NAMES = {"hashstop", "PDQ", "MD5", "SHA", "JavaScript", "JSON", "hsc_"}

VISIBLE_WORDS = """() => {
  const skip = "code, pre, script, style, .file-name, nav.languages, #fact-opened, #fact-status";
  const words = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || element.closest(skip) || element.closest("[hidden]")) continue;
    if (!element.checkVisibility()) continue;
    words.push(node.textContent);
  }
  for (const element of document.querySelectorAll("[aria-label], [title], [alt], [placeholder]")) {
    if (element.closest("[hidden]") || element.closest(skip)) continue;
    for (const name of ["aria-label", "title", "alt", "placeholder"]) {
      const value = element.getAttribute(name);
      if (value) words.push(value.replace(/\\S+\\.(jpe?g|mp4|png)\\b/g, ""));
    }
  }
  words.push(document.title);
  return words.join("\\n");
}"""


def vocabulary(code: str) -> set[str]:
    with (i18n.LOCALE_DIR / code / "LC_MESSAGES" / "hashstop.po").open("rb") as source:
        catalog = read_po(source, locale=code)
    words: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        raw = message.string
        forms: list[str] = list(raw) if isinstance(raw, tuple | list) else [raw or ""]
        for form in forms:
            text = re.sub(r"<[^>]+>|%\(\w+\)s", " ", form)
            words.update(w.lower() for w in WORD.findall(text))
    return words


def english_words(page: Any, code: str) -> list[str]:
    known = vocabulary(code) | {n.lower() for n in NAMES}
    words = set(WORD.findall(page.evaluate(VISIBLE_WORDS)))
    if code == "ar":  # another script: any Latin word but the names is a leak (and Arabic
        # attaches "and" to the next word, so its words are not looked up one by one)
        words = {w for w in words if re.search(r"[A-Za-z]", w)}
    return sorted(w for w in words if w.lower() not in known)


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def check_layout(page: Any, code: str) -> None:
    direction = "rtl" if code == "ar" else "ltr"
    assert page.evaluate("document.documentElement.lang") == code
    assert page.evaluate("document.documentElement.dir") == direction
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    brand = page.locator(".site-header .brand").bounding_box()
    assert brand is not None
    if direction == "rtl":  # mirrored: the brand sits at the right edge
        assert brand["x"] + brand["width"] > 360 - 40
    else:
        assert brand["x"] < 40


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_victim_page_speaks_the_language(
    phone: Any, live_service: LiveService, conformance: dict[str, Any], code: str
) -> None:
    page = phone
    page.goto(f"{live_service.url}/?lang={code}")
    check_layout(page, code)
    assert english_words(page, code) == []

    # /submit, with a photo and a "video" fingerprinted, then the receipt.
    page.goto(f"{live_service.url}/submit")  # the language is remembered
    check_layout(page, code)
    assert english_words(page, code) == []
    photo = next(c for c in conformance["cases"] if c["file"].endswith("q0746.jpg"))
    page.locator("#submit-files").set_input_files(
        [
            {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo["path"].read_bytes()},
            {"name": "clip.mp4", "mimeType": "video/mp4", "buffer": b"\x00" * 4096},
        ]
    )
    send = page.locator("#send")
    expect(send).to_be_enabled(timeout=WAIT_MS)
    page.locator(".payload summary").click()
    assert english_words(page, code) == []
    send.click()
    expect(page.locator("#receipt")).to_be_visible(timeout=WAIT_MS)
    assert english_words(page, code) == []
    case_id = page.locator("#case-id").inner_text()
    secret = page.locator("#case-secret").inner_text()

    # /case, opened, with its facts, the add and withdraw sections.
    page.goto(f"{live_service.url}/case")
    check_layout(page, code)
    assert english_words(page, code) == []
    page.locator("#case-id").fill(case_id)
    page.locator("#case-secret").fill(secret)
    page.locator("#open-case").click()
    expect(page.locator("#case-view")).to_be_visible(timeout=WAIT_MS)
    page.locator("#withdraw-start").click()
    assert english_words(page, code) == []


def test_the_scripts_use_arabic_plural_forms(phone: Any, live_service: LiveService) -> None:
    page = phone
    page.goto(f"{live_service.url}/submit?lang=ar")
    files = [
        {"name": f"file{i}.bin", "mimeType": "application/octet-stream", "buffer": bytes([i]) * 64}
        for i in range(3)
    ]
    page.locator("#submit-files").set_input_files(files[:2])
    status = page.locator("#submit-status")
    expect(status).to_have_text(re.compile("تمّت بصمة الملفين كليهما"), timeout=WAIT_MS)
    page.locator("#submit-files").set_input_files(files[2:])
    expect(status).to_have_text(re.compile("تمّت بصمات الملفات الـ 3 كلها"), timeout=WAIT_MS)
