"""Validation messages for task forms (web.forms.validate): engine rules, worded for people, per field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from core.errors import ValidationFailed
from engine.forms import validate_form_data
from web.forms import field_messages, parse_submission, validate

REPO = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("request_context")


SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "persons"],
    "properties": {
        "name": {"type": "string", "minLength": 2, "maxLength": 5},
        "amount": {"type": "number", "minimum": 0, "maximum": 99.5},
        "code": {"type": "string", "pattern": "^[0-9]{5}$", "x-errorMessage": "Bitte eine fünfstellige PLZ",
                 "x-translations": {"en": {"x-errorMessage": "Please enter a five-digit postcode"}}},
        "kind": {"type": "string", "oneOf": [{"const": "a"}, {"const": "b"}]},
        "terms": {"type": "boolean", "const": True},
        "persons": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}},
    },
}


def test_valid_data_has_no_errors() -> None:
    assert validate(SCHEMA, {"name": "Ada", "persons": [{"name": "B"}]}) == {}


def test_messages_are_for_people_and_keyed_by_field_path() -> None:
    data = {"name": "A", "amount": 100, "code": "5067", "kind": "c", "terms": False, "persons": [{}]}
    assert validate(SCHEMA, data) == {
        "name": "Please enter at least 2 characters.",
        "amount": "Please enter a value of at most 99,5.",
        "code": "Bitte eine fünfstellige PLZ",
        "kind": "Please choose one of the options.",
        "terms": "Please tick this box.",
        "persons.0.name": "This field is required.",
    }


def test_english_numbers_and_messages() -> None:
    errors = validate(SCHEMA, {"name": "A", "amount": -1.5, "code": "x", "persons": []}, locale="en")
    assert errors["amount"] == "Please enter a value of at least 0."
    assert errors["code"] == "Please enter a five-digit postcode"
    assert errors["persons"] == "Please add at least 1 entry."
    assert errors["name"] == "Please enter at least 2 characters."


def test_missing_required_fields() -> None:
    assert validate(SCHEMA, {}) == {"name": "This field is required.", "persons": "This field is required."}


def test_conversion_errors_win_over_schema_errors() -> None:
    schema = {"type": "object", "required": ["age"], "properties": {"age": {"type": "integer"}}}
    submission = parse_submission(schema, MultiDict([("age", "zwölf")]), None)
    assert validate(schema, submission.data, submission.errors) == {"age": "Please enter a whole number."}


def test_same_paths_as_the_engine() -> None:
    data = {"name": "ABCDEFG", "persons": [{"name": 3}, {}], "kind": 1}
    with pytest.raises(ValidationFailed) as raised:
        validate_form_data(SCHEMA, data)
    assert set(validate(SCHEMA, data)) == set(raised.value.details)


def test_messages_for_a_failure_raised_when_completing() -> None:
    failed = ValidationFailed("invalid value for name", {"name": "'A' is too short", "other": "odd"})
    assert field_messages(SCHEMA, {"name": "A", "persons": [{"name": "x"}]}, failed) == {
        "name": "Please enter at least 2 characters.", "other": "odd"}
    assert field_messages(SCHEMA, {}, ValidationFailed("the task's form schema is invalid")) == {
        "(root)": "the task's form schema is invalid"}


def test_reserved_names_and_broken_schemas_are_reported_not_raised() -> None:
    assert "typename" in validate(SCHEMA, {"typename": "x"})
    broken = validate({"type": "object", "properties": {"a": {"type": 5}}}, {"a": 1})
    assert list(broken) == ["(root)"] and "form definition" in broken["(root)"]


@pytest.mark.parametrize("path", sorted((REPO / "bpmn").glob("*/forms/*.json"))
                         + sorted((REPO / "tests/fixtures/models").glob("*-schema.json")), ids=lambda p: p.name)
def test_shipped_forms_parse_and_validate(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    submission = parse_submission(schema, MultiDict(), None)
    errors = validate(schema, submission.data, submission.errors)
    properties = schema["properties"]
    unticked_ok = {k for k, v in properties.items() if v.get("type") == "boolean" and v.get("const") is not True}
    required = set(schema.get("required", [])) - unticked_ok
    assert {key.split(".")[0] for key in errors} == required  # an empty form: exactly the required fields fail
