"""Reading a submitted task form back into typed JSON (web.forms.parse_submission), incl. hostile input."""

from __future__ import annotations

import io
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from web.forms import FormAction, Submission, parse_submission

pytestmark = pytest.mark.usefixtures("request_context")


def obj(required: tuple[str, ...] = (), **props: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    return schema


def parse(schema: dict[str, Any], *pairs: tuple[str, str], files: list[tuple[str, FileStorage]] | None = None,
          **options: Any) -> Submission:
    return parse_submission(schema, MultiDict(list(pairs)), MultiDict(files or []), **options)


PERSONS = obj(persons={"type": "array", "items": {
    "type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                                     "active": {"type": "boolean"}}}})


# --- scalar conversions --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "number"), [
    ("12", 12), ("12,5", 12.5), ("12.5", 12.5), (" -3,25 ", -3.25), ("1.234,5", 1234.5), ("1.234.567", 1234567),
    ("1,234.5", 1234.5), ("1 234,5", 1234.5), ("0", 0), ("1e3", 1000.0),
])
def test_numbers_accept_the_german_decimal_comma(text: str, number: float) -> None:
    submission = parse(obj(x={"type": "number"}), ("x", text))
    assert submission.data == {"x": number} and submission.errors == {}
    assert type(submission.data["x"]) is type(number)


@pytest.mark.parametrize("text", ["zwölf", "12,5,1", "1.2.3", "nan", "inf", "1e999", "12 €", "--1", "9" * 50])
def test_bad_numbers_are_field_errors(text: str) -> None:
    submission = parse(obj(x={"type": "number"}), ("x", text))
    assert submission.data == {}
    assert submission.errors == {"x": "Please enter a number."}
    assert submission.values == {"x": text.strip()}  # shown again as typed


@pytest.mark.parametrize(("text", "number"), [("12", 12), ("-7", -7), ("1.234", 1234), ("1 000 000", 1000000)])
def test_integers(text: str, number: int) -> None:
    assert parse(obj(n={"type": "integer"}), ("n", text)).data == {"n": number}


@pytest.mark.parametrize("text", ["12,5", "12.5", "zwölf", "1.23"])
def test_bad_integers_are_field_errors(text: str) -> None:
    assert parse(obj(n={"type": "integer"}), ("n", text)).errors == {"n": "Please enter a whole number."}


def test_checkbox_present_is_true_absent_is_false() -> None:
    schema = obj(a={"type": "boolean"}, b={"type": "boolean"})
    assert parse(schema, ("a", "true")).data == {"a": True, "b": False}


def test_yes_no_radios_leave_an_unanswered_question_out() -> None:
    schema = obj(fee={"type": "boolean"})
    ui = {"fee": {"ui:widget": "radio"}}
    assert parse(schema, ("fee", "false"), ui_schema=ui).data == {"fee": False}
    assert parse(schema, ui_schema=ui).data == {}
    assert parse(schema, ("fee", "vielleicht"), ui_schema=ui).errors == {"fee": "Please choose one of the options."}


def test_empty_optional_inputs_are_omitted_but_kept_for_showing_again() -> None:
    schema = obj(a={"type": "string"}, b={"type": "integer"}, c={"type": "string", "enum": ["x"]})
    submission = parse(schema, ("a", "  "), ("b", ""), ("c", ""))
    assert submission.data == {}
    assert submission.values == {"a": "", "b": "", "c": ""}
    assert submission.errors == {} and submission.action is None


def test_text_is_trimmed_and_line_ends_normalised() -> None:
    schema = obj(t={"type": "string", "maxLength": 1000})
    assert parse(schema, ("t", "  Zeile 1\r\nZeile 2\r\n")).data == {"t": "Zeile 1\nZeile 2"}


@pytest.mark.parametrize(("text", "iso"), [("2026-12-31", "2026-12-31"), ("31.12.2026", "2026-12-31"),
                                            ("1.2.2026", "2026-02-01")])
def test_dates_stay_iso_strings(text: str, iso: str) -> None:
    assert parse(obj(d={"type": "string", "format": "date"}), ("d", text)).data == {"d": iso}


@pytest.mark.parametrize("text", ["2026-02-30", "31.13.2026", "morgen", "20261231", "2026-W01-1"])
def test_bad_dates_are_field_errors(text: str) -> None:
    submission = parse(obj(d={"type": "string", "format": "date"}), ("d", text))
    assert list(submission.errors) == ["d"] and submission.data == {}


def test_email_and_uri_are_checked() -> None:
    schema = obj(mail={"type": "string", "format": "email"}, site={"type": "string", "format": "uri"})
    good = parse(schema, ("mail", "a@stadt.de"), ("site", "https://www.stadt.de/x"))
    assert good.data == {"mail": "a@stadt.de", "site": "https://www.stadt.de/x"}
    bad = parse(schema, ("mail", "a@"), ("site", "www.stadt.de"))
    assert set(bad.errors) == {"mail", "site"}


def test_enum_values_come_back_typed() -> None:
    schema = obj(n={"type": "integer", "enum": [1, 2, 3]},
                 s={"type": "string", "oneOf": [{"const": "A", "title": "a"}, {"const": "B", "title": "b"}]},
                 x={"enum": ["a", 1, None]})
    assert parse(schema, ("n", "2"), ("s", "B"), ("x", "null")).data == {"n": 2, "s": "B", "x": None}
    assert parse(schema, ("s", "C")).errors == {"s": "Please choose one of the options."}


def test_checkbox_group() -> None:
    schema = obj(days={"type": "array", "items": {"type": "string", "enum": ["mo", "di", "mi"]}})
    assert parse(schema, ("days", "mi"), ("days", "mo"), ("days", "mo")).data == {"days": ["mi", "mo"]}
    assert parse(schema).data == {}
    assert parse(schema, ("days", "so")).errors == {"days": "Please choose one of the options."}


def test_hidden_fields_are_read_and_typed() -> None:
    schema = obj(n={"type": "integer"})
    assert parse(schema, ("n", "4"), ui_schema={"n": {"ui:widget": "hidden"}}).data == {"n": 4}


def test_read_only_fields_keep_their_current_value() -> None:
    schema = obj(ref={"type": "string", "readOnly": True}, note={"type": "string"},
                 meta={"type": "object", "readOnly": True, "properties": {"a": {"type": "string"}}})
    submission = parse(schema, ("ref", "forged"), ("note", "n"), ("meta.a", "forged"),
                       current={"ref": "32-2026/1", "meta": {"a": "x"}})
    assert submission.data == {"ref": "32-2026/1", "note": "n", "meta": {"a": "x"}}
    assert parse(schema, ("ref", "forged")).data == {}


def test_nested_objects() -> None:
    schema = obj(required=("address",),
                 address={"type": "object", "properties": {"street": {"type": "string"}, "zip": {"type": "string"}}},
                 extra={"type": "object", "properties": {"x": {"type": "string"}}})
    submission = parse(schema, ("address.street", "Ring 1"), ("address.zip", ""), ("extra.x", ""))
    assert submission.data == {"address": {"street": "Ring 1"}}  # an empty optional group is left out
    assert parse(schema, ("address.street", "")).data == {"address": {}}  # required group: its fields report


# --- files ---------------------------------------------------------------------------------------------------


def test_uploads_are_returned_by_path_and_document_ids_kept() -> None:
    schema = obj(proof={"type": "string", "format": "akte-document"},
                 old={"type": "string", "format": "akte-document"},
                 extra={"type": "string"})
    upload = FileStorage(io.BytesIO(b"%PDF-1.7"), filename="scan.pdf", name="proof")
    empty = FileStorage(io.BytesIO(b""), filename="", name="old")
    stray = FileStorage(io.BytesIO(b"x"), filename="x.txt", name="extra")
    submission = parse(schema, ("old", "doc-1"), files=[("proof", upload), ("old", empty), ("extra", stray)])
    assert submission.uploads == {"proof": upload}
    assert submission.data == {"old": "doc-1"}
    submission.set_document("proof", "doc-2")
    assert submission.data == {"old": "doc-1", "proof": "doc-2"}
    assert submission.values["proof"] == "doc-2"


def test_uploads_in_repeating_groups_keep_their_entry() -> None:
    schema = obj(docs={"type": "array", "items": {"type": "object", "properties": {
        "title": {"type": "string"}, "file": {"type": "string", "format": "akte-document"}}}})
    upload = FileStorage(io.BytesIO(b"x"), filename="a.pdf", name="docs.1.file")
    submission = parse(schema, ("docs.0.title", ""), ("docs.1.title", ""), ("_count.docs", "2"),
                       files=[("docs.1.file", upload)])
    assert submission.uploads == {"docs.0.file": upload}  # the empty first entry was dropped
    submission.set_document("docs.0.file", "doc-9")
    assert submission.data == {"docs": [{"file": "doc-9"}]}


# --- repeating groups ----------------------------------------------------------------------------------------


def test_repeating_group_entries_are_typed_and_empty_ones_dropped() -> None:
    submission = parse(PERSONS, ("persons.0.name", "Ada"), ("persons.0.age", "36"), ("persons.0.active", "true"),
                       ("persons.1.name", ""), ("persons.1.age", ""),
                       ("persons.2.name", "Bea"), ("persons.2.age", ""), ("_count.persons", "3"))
    assert submission.data == {"persons": [{"name": "Ada", "age": 36, "active": True},
                                           {"name": "Bea", "active": False}]}
    assert submission.values["persons"] == [{"name": "Ada", "age": 36, "active": True},
                                            {"name": "Bea", "age": "", "active": False}, {}]
    assert submission.action is None


def test_errors_in_entries_use_the_paths_of_the_returned_data() -> None:
    submission = parse(PERSONS, ("persons.0.name", ""), ("persons.1.name", "Bea"), ("persons.1.age", "alt"))
    assert submission.errors == {"persons.0.age": "Please enter a whole number."}
    assert submission.values["persons"][0] == {"name": "Bea", "age": "alt", "active": False}


def test_add_another_appends_an_empty_entry() -> None:
    submission = parse(PERSONS, ("persons.0.name", "Ada"), ("persons.1.name", ""), ("_count.persons", "2"),
                       ("_add", "persons"))
    assert submission.action == FormAction("add", "persons")
    assert submission.data == {"persons": [{"name": "Ada", "active": False}]}
    assert submission.values["persons"] == [{"name": "Ada", "active": False}, {}, {}]
    assert submission.focus == "persons.2"


def test_remove_takes_out_the_entry_named_by_the_button() -> None:
    submission = parse(PERSONS, ("persons.0.name", "Ada"), ("persons.1.name", "Bea"), ("persons.2.name", "Cem"),
                       ("_remove", "persons.1"))
    assert submission.action == FormAction("remove", "persons.1")
    assert [p["name"] for p in submission.data["persons"]] == ["Ada", "Cem"]
    assert submission.focus == "persons"


def test_remove_an_entry_that_has_only_an_unticked_checkbox() -> None:
    submission = parse(PERSONS, ("persons.0.name", "Ada"), ("persons.2.name", "Cem"), ("_count.persons", "3"),
                       ("_remove", "persons.1"))
    assert [p["name"] for p in submission.values["persons"]] == ["Ada", "Cem"]


def test_nested_repeating_groups_and_scalar_lists() -> None:
    schema = obj(persons={"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "phones": {"type": "array", "items": {"type": "integer"}}}}})
    submission = parse(schema, ("persons.0.name", ""), ("persons.1.name", "Bea"), ("persons.1.phones.0", ""),
                       ("persons.1.phones.1", "221"), ("_add", "persons.1.phones"))
    assert submission.data == {"persons": [{"name": "Bea", "phones": [221]}]}
    assert submission.values["persons"][0]["phones"] == [221, "", ""]
    assert submission.action == FormAction("add", "persons.0.phones")
    assert submission.focus == "persons.0.phones.2"


def test_failed_list_entries_keep_their_place() -> None:
    schema = obj(xs={"type": "array", "items": {"type": "integer"}})
    submission = parse(schema, ("xs.0", "x"), ("xs.1", "5"))
    assert submission.data == {"xs": [None, 5]}
    assert submission.errors == {"xs.0": "Please enter a whole number."}


def test_add_stops_at_max_items() -> None:
    schema = obj(xs={"type": "array", "maxItems": 2, "items": {"type": "string"}})
    submission = parse(schema, ("xs.0", "a"), ("xs.1", "b"), ("_add", "xs"))
    assert submission.values["xs"] == ["a", "b"] and submission.focus is None
    assert submission.action is not None


# --- hostile input -------------------------------------------------------------------------------------------


def test_names_outside_the_schema_are_ignored() -> None:
    schema = obj(a={"type": "string"})
    submission = parse(schema, ("a", "x"), ("b", "y"), ("csrf_token", "t"), ("a.b.c", "z"), ("__proto__", "p"),
                       ("_draft", "1"))
    assert submission.data == {"a": "x"} and submission.errors == {} and submission.action is None


@pytest.mark.parametrize("index", ["200", "999999999999", "5000"])
def test_large_indices_are_refused(index: str) -> None:
    submission = parse(PERSONS, (f"persons.{index}.name", "x"), ("persons.0.name", "Ada"))
    assert submission.errors == {"persons": "No more than 200 entries are possible."}
    assert [p["name"] for p in submission.data["persons"]] == ["Ada"]


def test_odd_indices_are_ignored() -> None:
    submission = parse(PERSONS, ("persons.01.name", "x"), ("persons.-1.name", "y"), ("persons.x.name", "z"),
                       ("persons.١.name", "w"), ("persons.².name", "v"), ("_count.persons", "99999"))
    assert submission.data == {} and submission.errors == {}


def test_deep_and_long_names_are_refused() -> None:
    deep = ".".join(["persons", "0"] * 30)
    submission = parse(PERSONS, (deep, "x"), ("a" * 5000, "y"))
    assert submission.errors == {"(root)": "The form contained an invalid field name."}


def test_bogus_actions_only_redisplay_the_form() -> None:
    schema = obj(xs={"type": "array", "items": {"type": "string"}}, s={"type": "string"})
    for action in [("_add", "s"), ("_add", "nothing"), ("_remove", "xs.7"), ("_remove", "xs"), ("_remove", "")]:
        submission = parse(schema, ("xs.0", "a"), action)
        assert submission.action == FormAction("refresh"), action
        assert submission.data == {"xs": ["a"]}


def test_read_only_groups_cannot_be_changed() -> None:
    schema = obj(xs={"type": "array", "readOnly": True, "items": {"type": "string"}})
    submission = parse(schema, ("xs.0", "forged"), ("_add", "xs"), current={"xs": ["a", "b"]})
    assert submission.data == {"xs": ["a", "b"]}
    assert submission.action == FormAction("refresh")


def test_many_entries_are_bounded() -> None:
    pairs = [(f"persons.{i}.name", f"p{i}") for i in range(0, 400)]
    submission = parse(PERSONS, *pairs)
    assert len(submission.data["persons"]) == 200
    assert "persons" in submission.errors


def test_deep_schemas_are_not_followed() -> None:
    node: dict[str, Any] = {"type": "string"}
    for _level in range(20):
        node = {"type": "object", "properties": {"n": node}}
    name = ".".join(["root"] + ["n"] * 8)
    submission = parse(obj(root=node), (name, "x"))
    assert submission.data == {} and submission.errors == {}


@pytest.mark.parametrize("schema", [None, {}, {"type": "array"}, {"properties": "x"},
                                    {"type": "object", "properties": {"a": None, "b": {"type": 5}}}])
def test_strange_schemas_do_not_crash(schema: Any) -> None:
    parse_submission(schema, MultiDict([("a", "1"), ("b", "2")]), None)


def test_hidden_options_come_back_typed() -> None:
    schema = obj(n={"type": "integer", "enum": [1, 2]})
    assert parse(schema, ("n", "2"), ui_schema={"n": {"ui:widget": "hidden"}}).data == {"n": 2}


def test_empty_entries_kept_for_showing_again_are_bounded() -> None:
    schema = obj(xs={"type": "array", "items": {"type": "string"}})
    submission = parse(schema, ("_count.xs", "200"), ("_add", "xs"))
    assert submission.values["xs"] == [""] * 10 and submission.data == {}
