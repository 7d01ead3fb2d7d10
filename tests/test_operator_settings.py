"""The operator's settings shown on the victim pages: the helplines file is checked at start,
and a bad one is refused in one line naming what is wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hashstop.config import SettingsError
from hashstop.web.operator import Operator, read_helplines
from tests.service_fixtures import make_settings


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "helplines.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_helplines_are_grouped_by_country(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "helplines": [
                {"country": "FR", "country_name": "France", "name": "A", "phone": "3018"},
                {"country": "international", "name": "B", "url": "https://b.example/"},
                {"country": "FR", "name": "C", "url": "https://c.example/"},
            ]
        },
    )
    settings = make_settings("sqlite:///:memory:", helplines_file=path, operator_name=" Org ")
    operator = Operator.from_settings(settings)
    assert operator.name == "Org"
    assert [(heading, [h.name for h in lines]) for heading, lines in operator.by_country()] == [
        ("France", ["A", "C"]),
        ("international", ["B"]),
    ]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ("{not json", "is not valid JSON"),
        ({"lines": []}, '{"helplines": [...]}'),
        ({"helplines": [{"country": "France", "name": "A", "phone": "1"}]}, '"country"'),
        ({"helplines": [{"country": "FR", "name": "A"}]}, '"phone" or "url"'),
        ({"helplines": [{"country": "FR", "name": "A", "url": "http://a"}]}, "https://"),
        ({"helplines": [{"country": "FR", "name": "A", "phone": "1", "x": 1}]}, "unknown field"),
        ({"helplines": [{"country": "FR", "name": 5, "phone": "1"}]}, "short text"),
    ],
)
def test_a_bad_helplines_file_is_refused(tmp_path: Path, data: Any, says: str) -> None:
    with pytest.raises(SettingsError, match="HASHSTOP_HELPLINES_FILE") as error:
        read_helplines(write(tmp_path, data))
    assert says in str(error.value)


def test_a_missing_helplines_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot be read"):
        read_helplines(tmp_path / "none.json")


@pytest.mark.parametrize("name", ["privacy_notice_url", "quick_exit_url"])
def test_addresses_must_be_http(name: str) -> None:
    with pytest.raises(ValueError, match=f"HASHSTOP_{name.upper()}"):
        make_settings("sqlite:///:memory:", **{name: "javascript:alert(1)"})


def test_contact_link() -> None:
    assert Operator(contact="a@b.example").contact_href == "mailto:a@b.example"
    assert Operator(contact="https://b.example/c").contact_href == "https://b.example/c"
    assert Operator(contact="call 0100").contact_href == ""
