"""Who runs this service, and where to find help: what every victim page shows of the operator.

From the settings (`HASHSTOP_OPERATOR_NAME`, `_OPERATOR_CONTACT`, `_PRIVACY_NOTICE_URL`,
`_QUICK_EXIT_URL`) and the helplines file (`HASHSTOP_HELPLINES_FILE`), read once when the app is
made: a file that is missing or malformed stops the service at start with one line saying what
is wrong, rather than leaving victims without the help it should list.

The helplines file (docs/operators.md has an example):

    {"helplines": [{"country": "GB", "name": "Revenge Porn Helpline",
                    "phone": "0345 6000 459", "url": "https://revengepornhelpline.org.uk/",
                    "hours": "Mon-Fri 10:00-16:00"}]}

`country` is an ISO 3166-1 alpha-2 code (or "international"), shown as `country_name` when the
entry gives one; `name` is required, with a `phone` or a `url` (https); `hours` and `note` are
optional text shown as they are (in the operator's language: the file is not translated).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from hashstop.config import Settings, SettingsError

DEFAULT_QUICK_EXIT = "https://www.wikipedia.org/"
_COUNTRY = re.compile(r"[A-Z]{2}|international")
_TEXT_FIELDS = ("country_name", "name", "phone", "url", "hours", "note")


@dataclass(frozen=True, slots=True)
class Helpline:
    country: str
    name: str
    country_name: str = ""
    phone: str = ""
    url: str = ""
    hours: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Operator:
    name: str = ""
    contact: str = ""
    privacy_notice_url: str = ""
    quick_exit_url: str = DEFAULT_QUICK_EXIT
    helplines: tuple[Helpline, ...] = field(default_factory=tuple)

    @property
    def contact_href(self) -> str:
        """A link for the contact: mailto: for an email address, the address itself for a URL."""
        if self.contact.startswith(("https://", "http://")):
            return self.contact
        if "@" in self.contact and " " not in self.contact:
            return f"mailto:{self.contact}"
        return ""

    def by_country(self) -> list[tuple[str, list[Helpline]]]:
        """(heading, helplines) per country, in the file's order of first appearance."""
        groups: dict[str, list[Helpline]] = {}
        for line in self.helplines:
            groups.setdefault(line.country, []).append(line)
        return [
            (next((h.country_name for h in lines if h.country_name), country), lines)
            for country, lines in groups.items()
        ]

    @classmethod
    def from_settings(cls, settings: Settings) -> Operator:
        helplines: tuple[Helpline, ...] = ()
        if settings.helplines_file is not None:
            helplines = read_helplines(settings.helplines_file)
        return cls(
            name=settings.operator_name.strip(),
            contact=settings.operator_contact.strip(),
            privacy_notice_url=settings.privacy_notice_url.strip(),
            quick_exit_url=settings.quick_exit_url.strip() or DEFAULT_QUICK_EXIT,
            helplines=helplines,
        )


def read_helplines(path: Any) -> tuple[Helpline, ...]:
    """The helplines of `path`, or SettingsError naming the file and what is wrong."""
    where = f"HASHSTOP_HELPLINES_FILE ({path})"
    try:
        data = json.loads(open(path, encoding="utf-8").read())  # noqa: PTH123, SIM115
    except OSError as error:
        raise SettingsError(f"{where} cannot be read: {error.strerror}") from None
    except ValueError as error:
        raise SettingsError(f"{where} is not valid JSON: {error}") from None
    entries = data.get("helplines") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SettingsError(f'{where} must hold {{"helplines": [...]}}')
    out = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise SettingsError(f"{where}: helpline {number} is not an object")
        country = entry.get("country")
        if not isinstance(country, str) or not _COUNTRY.fullmatch(country):
            raise SettingsError(
                f'{where}: helpline {number} needs a "country" (a code such as GB, or '
                '"international")'
            )
        values = {}
        for name in _TEXT_FIELDS:
            value = entry.get(name, "")
            if not isinstance(value, str) or len(value) > 300:
                raise SettingsError(f'{where}: helpline {number}: "{name}" must be short text')
            values[name] = value.strip()
        if not values["name"] or not (values["phone"] or values["url"]):
            raise SettingsError(f'{where}: helpline {number} needs a "name" and a "phone" or "url"')
        if values["url"] and not values["url"].startswith("https://"):
            raise SettingsError(f'{where}: helpline {number}: "url" must start with https://')
        unknown = set(entry) - {"country", *_TEXT_FIELDS}
        if unknown:
            raise SettingsError(f"{where}: helpline {number}: unknown field {sorted(unknown)[0]}")
        out.append(Helpline(country=country, **values))
    return tuple(out)
