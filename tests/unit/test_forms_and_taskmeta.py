from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import ValidationFailed
from engine.forms import validate_form_data
from engine.taskmeta import resolve_assignee, resolve_groups, resolve_moment, resolve_priority

SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "persons": {"type": "array", "items": {
        "type": "object", "required": ["age"], "properties": {"age": {"type": "integer", "minimum": 0}}}}},
}
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_form_errors_name_each_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_form_data(SCHEMA, {"persons": [{"age": -1}, {}]})
    assert set(caught.value.details) == {"name", "persons.0.age", "persons.1.age"}
    assert validate_form_data(SCHEMA, {"name": "x"}) == {"name": "x"}


def test_non_object_and_reserved_names_refused() -> None:
    with pytest.raises(ValidationFailed):
        validate_form_data(None, [1, 2])
    with pytest.raises(ValidationFailed, match="reserved"):
        validate_form_data(None, {"typename": "x"})


def test_moments() -> None:
    assert resolve_moment("P14D", {}, NOW) == datetime(2026, 1, 19, 9, 0, tzinfo=UTC)
    # a date is due until it ends in Germany: 23:59:59 CET = 22:59:59 UTC in winter, 21:59:59 UTC in summer
    assert resolve_moment("2026-02-01", {}, NOW) == datetime(2026, 2, 1, 22, 59, 59, tzinfo=UTC)
    assert resolve_moment("2026-07-01", {}, NOW) == datetime(2026, 7, 1, 21, 59, 59, tzinfo=UTC)
    assert resolve_moment("2026-02-01T10:00:00+01:00", {}, NOW) == datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    assert resolve_moment("=deadline", {"deadline": "2026-03-01"}, NOW) == datetime(
        2026, 3, 1, 22, 59, 59, tzinfo=UTC)
    assert resolve_moment("=missing", {}, NOW) is None
    assert resolve_moment("soon", {}, NOW) is None


def test_people_and_priority() -> None:
    assert resolve_assignee("=case.clerk", {"case": {"clerk": "anna"}}) == "anna"
    assert resolve_assignee("ben", {}) == "ben"
    assert resolve_assignee("${nobody}", {}) is None
    assert resolve_groups(["a, b", "=extra"], {"extra": ["c"]}) == ["a", "b", "c"]
    assert resolve_priority("=prio", {"prio": "90"}) == 90
    assert resolve_priority("high", {}) == 50


def test_read_only_fields_keep_their_current_value_whatever_is_submitted() -> None:
    from engine.forms import keep_read_only

    schema = {"type": "object", "properties": {
        "betrag": {"type": "number", "readOnly": True},
        "hinweis": {"type": "string", "readOnly": True},
        "adresse": {"type": "object", "properties": {"iban": {"type": "string", "readOnly": True},
                                                     "ort": {"type": "string"}}},
        "entscheidung": {"type": "string"}}}
    current = {"betrag": 336.77, "adresse": {"iban": "DE89370400440532013000", "ort": "Krefeld"}}
    submitted = {"betrag": 0.01, "hinweis": "neu", "entscheidung": "freigeben",
                 "adresse": {"iban": "DE00000000000000000000", "ort": "Kempen"}}
    assert keep_read_only(schema, submitted, current) == {
        "betrag": 336.77, "entscheidung": "freigeben",  # "hinweis" had no value: dropped, not taken
        "adresse": {"iban": "DE89370400440532013000", "ort": "Kempen"}}
    assert keep_read_only(None, submitted, current) == submitted
