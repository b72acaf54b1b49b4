"""Task forms rendered from JSON schema: field types, labels, help, errors, languages, ids (web/forms)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask_babel import Babel

from web.forms import build_form, field_id, render_form

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


@pytest.fixture
def app() -> Iterator[Flask]:
    app = Flask(__name__, template_folder=str(TEMPLATES))
    Babel(app)
    with app.test_request_context():
        yield app


def render(schema: dict[str, Any], ui: dict[str, Any] | None = None, values: dict[str, Any] | None = None,
           errors: dict[str, str] | None = None, locale: str = "de", **options: Any) -> lxml.html.HtmlElement:
    html = render_form(build_form(schema, ui, values, errors, locale, **options))
    return lxml.html.fragment_fromstring(str(html), create_parent="div")


def one(doc: lxml.html.HtmlElement, xpath: str) -> lxml.html.HtmlElement:
    found = doc.xpath(xpath)
    assert len(found) == 1, f"{xpath}: {len(found)} matches"
    return found[0]


def label_text(doc: lxml.html.HtmlElement, input_id: str) -> str:
    return " ".join(one(doc, f'//label[@for="{input_id}"]').text_content().split())


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


# --- field types ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("node", "input_type"), [
    ({"type": "string"}, "text"),
    ({"type": "string", "format": "date"}, "date"),
    ({"type": "string", "format": "email"}, "email"),
    ({"type": "string", "format": "uri"}, "url"),
    ({"type": "string", "maxLength": 200}, "text"),
    ({"type": "number"}, "number"),
    ({"type": "integer"}, "number"),
])
def test_single_line_inputs(app: Flask, node: dict[str, Any], input_type: str) -> None:
    doc = render(obj(x={**node, "title": "Feld"}))
    field = one(doc, '//input[@id="f-x"]')
    assert field.get("type") == input_type
    assert field.get("name") == "x"
    assert label_text(doc, "f-x") == "Feld"
    assert one(doc, '//label[@for="f-x"]').get("class") == "field-label"


def test_long_text_and_ui_textarea_become_textareas(app: Flask) -> None:
    doc = render(obj(long={"type": "string", "maxLength": 5000}, short={"type": "string"}),
                 {"short": {"ui:widget": "textarea", "ui:options": {"rows": 3}}})
    assert one(doc, '//textarea[@id="f-long"]').get("maxlength") == "5000"
    assert one(doc, '//textarea[@id="f-short"]').get("rows") == "3"


def test_number_attributes(app: Flask) -> None:
    doc = render(obj(amount={"type": "number", "minimum": 0, "maximum": 1000.5},
                     count={"type": "integer", "minimum": 1},
                     cents={"type": "number", "multipleOf": 0.01}))
    amount = one(doc, '//input[@id="f-amount"]')
    assert (amount.get("min"), amount.get("max"), amount.get("step")) == ("0", "1000.5", "any")
    assert one(doc, '//input[@id="f-count"]').get("step") == "1"
    assert one(doc, '//input[@id="f-cents"]').get("step") == "0.01"


def test_few_options_are_a_radio_group_in_a_fieldset(app: Flask) -> None:
    schema = obj(licence={"type": "string", "title": "Klasse", "oneOf": [
        {"const": "A", "title": "Motorrad"}, {"const": "B", "title": "Pkw"}]})
    doc = render(schema, values={"licence": "B"})
    group = one(doc, '//fieldset[@id="f-licence"]')
    assert group.find("legend").text_content().strip() == "Klasse"
    radios = group.xpath('.//input[@type="radio"]')
    assert [r.get("value") for r in radios] == ["A", "B"]
    assert [r.get("id") for r in radios] == ["f-licence--0", "f-licence--1"]
    assert radios[1].get("checked") is not None and radios[0].get("checked") is None
    assert label_text(doc, "f-licence--0") == "Motorrad"


def test_many_options_are_a_select_with_a_placeholder(app: Flask) -> None:
    doc = render(obj(x={"type": "string", "enum": ["a", "b", "c", "d", "e"]}), values={"x": "c"})
    select = one(doc, '//select[@id="f-x"]')
    options = select.findall("option")
    assert [o.get("value") for o in options] == ["", "a", "b", "c", "d", "e"]
    assert options[0].text == "Please choose"
    assert [o.get("value") for o in options if o.get("selected") is not None] == ["c"]


def test_ui_widget_overrides_radio_or_select(app: Flask) -> None:
    many = {"type": "string", "enum": ["a", "b", "c", "d", "e", "f"]}
    few = {"type": "integer", "enum": [1, 2]}
    doc = render(obj(many=many, few=few), {"many": {"ui:widget": "radio"}, "few": {"ui:widget": "select"}},
                 values={"few": 2})
    assert len(doc.xpath('//fieldset[@id="f-many"]//input[@type="radio"]')) == 6
    assert one(doc, '//select[@id="f-few"]/option[@selected]').get("value") == "2"


def test_boolean_checkbox_and_yes_no_radios(app: Flask) -> None:
    doc = render(obj(ok={"type": "boolean", "title": "Genehmigt"}, fee={"type": "boolean", "title": "Gebühr"}),
                 {"fee": {"ui:widget": "radio"}}, values={"ok": True, "fee": False})
    box = one(doc, '//input[@id="f-ok"]')
    assert (box.get("type"), box.get("value"), box.get("checked")) == ("checkbox", "true", "checked")
    assert label_text(doc, "f-ok") == "Genehmigt"
    radios = doc.xpath('//fieldset[@id="f-fee"]//input')
    assert [(r.get("value"), r.get("checked")) for r in radios] == [("true", None), ("false", "checked")]
    assert [label_text(doc, r.get("id")) for r in radios] == ["Yes", "No"]


def test_file_upload_shows_the_current_document(app: Flask) -> None:
    schema = obj(proof={"type": "string", "format": "akte-document", "title": "Nachweis"})
    doc = render(schema, values={"proof": "doc-123"}, document_label=lambda doc_id: f"Scan ({doc_id})")
    upload = one(doc, '//input[@type="file"]')
    assert (upload.get("id"), upload.get("name")) == ("f-proof", "proof")
    current = one(doc, '//p[@id="f-proof--document"]')
    assert "Scan (doc-123)" in current.text_content()
    assert "f-proof--document" in upload.get("aria-describedby").split()
    assert one(doc, '//input[@type="hidden"][@name="proof"]').get("value") == "doc-123"


def test_nested_object_is_a_fieldset_with_legend(app: Flask) -> None:
    schema = obj(address={"type": "object", "title": "Anschrift", "required": ["city"],
                          "properties": {"street": {"type": "string", "title": "Straße"},
                                         "city": {"type": "string", "title": "Ort"}}})
    doc = render(schema, values={"address": {"city": "Köln"}})
    group = one(doc, '//fieldset[@id="f-address"]')
    assert group.find("legend").text_content().strip() == "Anschrift"
    city = one(group, './/input[@id="f-address-city"]')
    assert (city.get("name"), city.get("value"), city.get("aria-required")) == ("address.city", "Köln", "true")
    assert "required" in label_text(doc, "f-address-city")


def test_repeating_group_renders_entries_plus_one_empty_and_buttons(app: Flask) -> None:
    schema = obj(persons={"type": "array", "title": "Personen", "items": {
        "type": "object", "title": "Person", "properties": {"name": {"type": "string", "title": "Name"}}}})
    doc = render(schema, values={"persons": [{"name": "Ada"}, {"name": "Bea"}]})
    group = one(doc, '//fieldset[@id="f-persons"]')
    assert "repeat-group" in group.get("class").split()
    items = group.xpath('./div[@class="repeat-item"]')
    assert len(items) == 3
    assert [i.xpath(".//input[@type='text']")[0].get("value") for i in items] == ["Ada", "Bea", ""]
    assert [i.find("fieldset/legend").text_content() for i in items] == ["Person 1", "Person 2", "Person 3"]
    assert label_text(doc, "f-persons-1-name") == "Name"
    removes = group.xpath('.//button[@name="_remove"]')
    assert [b.get("value") for b in removes] == ["persons.0", "persons.1"]  # not on the empty entry
    assert removes[0].text == "Remove Person 1"
    add = one(group, './/button[@name="_add"]')
    assert (add.get("value"), add.get("class"), add.get("type")) == ("persons", "button-secondary", "submit")
    assert one(group, './/input[@name="_count.persons"]').get("value") == "3"
    assert doc.xpath('//div[@hidden]/button[@name="_refresh"]')  # Enter does not press "remove"


def test_repeating_group_of_scalars_and_limits(app: Flask) -> None:
    schema = obj(phones={"type": "array", "title": "Telefon", "maxItems": 2, "items": {"type": "string"}})
    doc = render(schema, values={"phones": ["0221 1", "0221 2"]})
    assert [i.get("name") for i in doc.xpath('//div[@class="repeat-item"]//input')] == ["phones.0", "phones.1"]
    assert label_text(doc, "f-phones-1") == "Telefon 2"
    assert not doc.xpath('//button[@name="_add"]')  # maxItems reached: no empty entry, no add button


def test_min_items_are_shown_empty(app: Flask) -> None:
    schema = obj(xs={"type": "array", "minItems": 2, "items": {"type": "integer"}})
    doc = render(schema)
    assert len(doc.xpath('//div[@class="repeat-item"]')) == 2
    assert not doc.xpath('//button[@name="_remove"]')


def test_array_of_options_is_a_checkbox_group(app: Flask) -> None:
    schema = obj(days={"type": "array", "title": "Tage", "uniqueItems": True,
                       "items": {"type": "string", "enum": ["mo", "di", "mi"]}})
    doc = render(schema, values={"days": ["di"]})
    boxes = one(doc, '//fieldset[@id="f-days"]').xpath('.//input[@type="checkbox"]')
    assert [(b.get("name"), b.get("value"), b.get("checked")) for b in boxes] == [
        ("days", "mo", None), ("days", "di", "checked"), ("days", "mi", None)]


def test_read_only_fields_are_shown_not_editable(app: Flask) -> None:
    schema = obj(ref={"type": "string", "readOnly": True, "title": "Az."},
                 kind={"type": "string", "enum": ["a", "b"], "readOnly": True},
                 done={"type": "boolean", "readOnly": True})
    doc = render(schema, values={"ref": "32-2026/1", "kind": "b", "done": True})
    ref = one(doc, '//input[@id="f-ref"]')
    assert ref.get("readonly") is not None and ref.get("value") == "32-2026/1"
    assert all(r.get("disabled") is not None for r in doc.xpath('//fieldset[@id="f-kind"]//input[@type="radio"]'))
    assert one(doc, '//input[@type="hidden"][@name="kind"]').get("value") == "b"
    assert one(doc, '//input[@id="f-done"]').get("disabled") is not None


def test_read_only_group_has_no_buttons(app: Flask) -> None:
    schema = obj(xs={"type": "array", "readOnly": True, "items": {"type": "string"}})
    doc = render(schema, values={"xs": ["a"]})
    assert not doc.xpath("//button")
    assert len(doc.xpath('//div[@class="repeat-item"]')) == 1


def test_hidden_widget(app: Flask) -> None:
    doc = render(obj(token={"type": "string"}), {"token": {"ui:widget": "hidden"}}, values={"token": "t1"})
    hidden = one(doc, '//input[@name="token"]')
    assert (hidden.get("type"), hidden.get("value")) == ("hidden", "t1")
    assert not doc.xpath("//label")


def test_ui_order_help_and_placeholder(app: Flask) -> None:
    schema = obj(a={"type": "string", "description": "Schema-Hilfe"}, b={"type": "string"}, c={"type": "string"})
    ui = {"ui:order": ["c", "*"], "a": {"ui:help": "UI-Hilfe", "ui:placeholder": "z. B. Muster"}}
    doc = render(schema, ui)
    assert [i.get("name") for i in doc.xpath("//input")] == ["c", "a", "b"]
    a = one(doc, '//input[@id="f-a"]')
    assert a.get("placeholder") == "z. B. Muster"
    assert a.get("aria-describedby") == "f-a--help"
    help_text = one(doc, '//p[@id="f-a--help"]')
    assert (help_text.text, help_text.get("class")) == ("UI-Hilfe", "field-help")


def test_defaults_fill_missing_values(app: Flask) -> None:
    doc = render(obj(country={"type": "string", "default": "Deutschland"}))
    assert one(doc, '//input[@id="f-country"]').get("value") == "Deutschland"
    doc = render(obj(country={"type": "string", "default": "Deutschland"}), values={"country": ""})
    assert one(doc, '//input[@id="f-country"]').get("value") == ""


def test_local_refs_are_followed(app: Flask) -> None:
    schema = {"type": "object", "$defs": {"person": {"type": "object", "properties": {"name": {"type": "string"}}}},
              "properties": {"owner": {"$ref": "#/$defs/person", "title": "Halter"}}}
    doc = render(schema)
    assert one(doc, '//fieldset[@id="f-owner"]/legend').text_content().strip() == "Halter"
    assert one(doc, '//input[@id="f-owner-name"]').get("name") == "owner.name"


# --- languages -----------------------------------------------------------------------------------------------

TRANSLATED = obj(
    licence={
        "type": "string", "title": "Führerscheinklasse", "description": "Wie im alten Führerschein",
        "oneOf": [{"const": "B", "title": "Pkw"}, {"const": "A", "title": "Motorrad"}],
        "x-translations": {"en": {"title": "Licence class", "description": "As in the old licence",
                                  "enumTitles": {"B": "Car"}}},
    },
    note={"type": "string", "title": "Bemerkung"},
)


def test_german_labels_by_default(app: Flask) -> None:
    doc = render(TRANSLATED)
    assert one(doc, '//fieldset[@id="f-licence"]/legend').text_content().strip() == "Führerscheinklasse"
    assert one(doc, '//p[@id="f-licence--help"]').text == "Wie im alten Führerschein"
    assert label_text(doc, "f-licence--0") == "Pkw"


@pytest.mark.parametrize("locale", ["en", "en_GB", "en-US"])
def test_english_labels_from_x_translations(app: Flask, locale: str) -> None:
    doc = render(TRANSLATED, locale=locale)
    assert one(doc, '//fieldset[@id="f-licence"]/legend').text_content().strip() == "Licence class"
    assert one(doc, '//p[@id="f-licence--help"]').text == "As in the old licence"
    assert label_text(doc, "f-licence--0") == "Car"
    assert label_text(doc, "f-licence--1") == "Motorrad"  # no translation: the German title
    assert label_text(doc, "f-note") == "Bemerkung"


def test_ui_help_may_be_given_per_language(app: Flask) -> None:
    ui = {"note": {"ui:help": {"de": "Kurz halten", "en": "Keep it short"}}}
    assert one(render(TRANSLATED, ui, locale="en"), '//p[@id="f-note--help"]').text == "Keep it short"
    assert one(render(TRANSLATED, ui), '//p[@id="f-note--help"]').text == "Kurz halten"


# --- errors --------------------------------------------------------------------------------------------------


def test_errors_are_shown_per_field_and_summarised(app: Flask) -> None:
    schema = {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "title": "Name", "description": "Vor- und Nachname"},
        "kind": {"type": "string", "title": "Art", "enum": ["a", "b"]},
        "age": {"type": "integer", "title": "Alter"}}}
    errors = {"name": "Bitte ausfüllen", "kind": "Bitte wählen", "age": "Ganze Zahl", "(root)": "Allgemein"}
    doc = render(schema, values={"name": "", "age": "zwölf"}, errors=errors)
    name = one(doc, '//input[@id="f-name"]')
    assert name.get("aria-invalid") == "true"
    assert name.get("aria-describedby").split() == ["f-name--help", "f-name--error"]
    message = one(doc, '//p[@id="f-name--error"]')
    assert message.get("class") == "field-error" and "Bitte ausfüllen" in message.text_content()
    age = one(doc, '//input[@id="f-age"]')
    assert (age.get("type"), age.get("value")) == ("text", "zwölf")  # the typed text stays visible
    summary = one(doc, '//div[@class="error-summary"]')
    links = [(a.get("href"), a.text) for a in summary.xpath(".//a")]
    assert links == [("#f-name", "Name: Bitte ausfüllen"), ("#f-kind--0", "Art: Bitte wählen"),
                     ("#f-age", "Alter: Ganze Zahl")]
    assert "Allgemein" in [li.text_content() for li in summary.xpath(".//li")]
    assert summary.get("aria-labelledby") == one(summary, ".//h2").get("id")
    for href, _text in links:
        assert doc.xpath(f'//*[@id="{href[1:]}"]')
    assert all(r.get("aria-invalid") == "true" for r in doc.xpath('//fieldset[@id="f-kind"]//input'))
    assert one(doc, '//fieldset[@id="f-kind"]').get("aria-describedby") == "f-kind--error"


def test_errors_inside_repeating_groups(app: Flask) -> None:
    schema = obj(persons={"type": "array", "title": "Personen", "items": {
        "type": "object", "title": "Person", "properties": {"name": {"type": "string", "title": "Name"}}}})
    doc = render(schema, values={"persons": [{"name": ""}]},
                 errors={"persons.0.name": "Pflicht", "persons.7.name": "Weg", "persons": "Zu wenige"})
    assert one(doc, '//input[@id="f-persons-0-name"]').get("aria-invalid") == "true"
    links = [(a.get("href"), a.text) for a in doc.xpath('//div[@class="error-summary"]//a')]
    assert links == [("#f-persons", "Personen: Zu wenige"), ("#f-persons-0-name", "Person 1 – Name: Pflicht"),
                     ("#f-persons", "Personen: Weg")]  # an entry not shown: reported at its group


def test_no_summary_without_errors_and_focus_on_added_entry(app: Flask) -> None:
    schema = obj(xs={"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}}}})
    doc = render(schema, values={"xs": [{"a": "1"}, {}]}, focus="xs.1")
    assert not doc.xpath('//*[@class="error-summary"]')
    assert [e.get("id") for e in doc.xpath("//*[@autofocus]")] == ["f-xs-1-a"]


# --- robustness and HTML hygiene -----------------------------------------------------------------------------

COMPLEX = {
    "type": "object", "required": ["name", "persons"],
    "properties": {
        "name": {"type": "string", "title": "Name", "description": "Hilfe"},
        "amount": {"type": "number", "title": "Betrag"},
        "when": {"type": "string", "format": "date", "title": "Datum"},
        "kind": {"type": "string", "enum": ["a", "b"], "title": "Art"},
        "many": {"type": "string", "enum": list("abcdefg"), "title": "Viele"},
        "ok": {"type": "boolean", "title": "OK"},
        "proof": {"type": "string", "format": "akte-document", "title": "Nachweis"},
        "days": {"type": "array", "items": {"enum": ["mo", "di"]}, "title": "Tage"},
        "persons": {"type": "array", "title": "Personen", "items": {
            "type": "object", "title": "Person", "required": ["name"],
            "properties": {"name": {"type": "string", "title": "Name"},
                           "kind": {"type": "string", "enum": ["x", "y"], "title": "Rolle"},
                           "phones": {"type": "array", "items": {"type": "string", "title": "Telefon"}}}}},
    },
}


def test_ids_are_unique_and_every_control_is_labelled(app: Flask) -> None:
    values = {"persons": [{"name": "A", "phones": ["1", "2"]}, {"name": "B", "kind": "y"}], "proof": "d1"}
    doc = render(COMPLEX, values=values, errors={"name": "x", "persons.1.name": "y", "kind": "z"})
    ids = Counter(e.get("id") for e in doc.xpath("//*[@id]"))
    assert [i for i, n in ids.items() if n > 1] == []
    labelled = {label.get("for") for label in doc.xpath("//label")}
    for control in doc.xpath("//input[not(@type='hidden')] | //select | //textarea"):
        assert control.get("id") in labelled, lxml.html.tostring(control)
    for referenced in " ".join(doc.xpath("//@aria-describedby")).split():
        assert ids[referenced] == 1, referenced
    for group in doc.xpath("//fieldset"):
        assert group[0].tag == "legend"


def test_only_the_agreed_class_names_are_used(app: Flask) -> None:
    agreed = {"field", "field-label", "field-help", "field-error", "required-mark", "error-summary", "repeat-group",
              "repeat-item", "button-secondary"}
    doc = render(COMPLEX, values={"persons": [{}]}, errors={"name": "x"})
    used = {name for value in doc.xpath("//@class") for name in value.split()}
    assert used <= agreed


def test_text_from_the_schema_is_escaped(app: Flask) -> None:
    html = str(render_form(build_form(obj(x={"type": "string", "title": "<script>alert(1)</script>"}),
                                      values={"x": '"><img src=x>'})))
    assert "<script>" not in html and "<img" not in html


@pytest.mark.parametrize("values", [
    {"amount": "zwölf", "when": "morgen", "kind": 7, "ok": "ja", "persons": "nobody", "days": "mo"},
    {"amount": [1], "name": {"a": 1}, "persons": [None, 3, "x", {"name": ["?"]}], "proof": 5},
    {"persons": {"0": {"name": "A"}}, "many": None, "days": [{"x": 1}]},
])
def test_invalid_drafts_render_without_crashing(app: Flask, values: dict[str, Any]) -> None:
    doc = render(COMPLEX, values=values)
    assert doc.xpath('//input[@id="f-name"]')


@pytest.mark.parametrize("schema", [
    None, {}, {"type": "string"}, {"type": "object", "properties": []},
    {"type": "object", "properties": {"a": None, "b": 3, "c": {"type": "foo"}, "d": {"type": ["null", "integer"]}}},
    {"type": "object", "properties": {"x": {"type": "array"}, "y": {"type": "array", "items": {"type": "array"}}}},
    {"type": "object", "properties": {"r": {"$ref": "#/properties/r"}, "s": {"$ref": "http://x/y"}}},
    {"type": "object", "properties": {"a.b": {"type": "string"}, "": {"type": "string"}, "_add": {}}},
])
def test_strange_schemas_render_without_crashing(app: Flask, schema: Any) -> None:
    render_form(build_form(schema, {"ui:order": 5, "a": [], "c": {"ui:widget": 3}}, {"a": 1}, {"zzz": "y"}))


def test_schema_nesting_is_limited(app: Flask) -> None:
    node: dict[str, Any] = {"type": "string", "title": "Blatt"}
    for level in range(20):
        node = {"type": "object", "title": f"Ebene {level}", "properties": {"n": node}}
    doc = render(obj(root=node))
    assert len(doc.xpath("//fieldset")) <= 9
    assert not doc.xpath('//input[@type="text"]')


def test_recursive_refs_stop(app: Flask) -> None:
    schema = {"type": "object", "$defs": {"node": {"type": "object", "properties": {
        "name": {"type": "string"}, "child": {"$ref": "#/$defs/node"}}}},
        "properties": {"tree": {"$ref": "#/$defs/node"}}}
    render(schema)


def test_field_ids_are_html_safe_and_distinct() -> None:
    assert field_id("persons.0.name") == "f-persons-0-name"
    ids = {field_id(path) for path in ["a-b", "a.b", "a_b", "a__b", "a_2d_b", "ä", "a b", "a--help"]}
    assert len(ids) == 8
    assert all("--" not in i and " " not in i for i in ids)
    assert field_id("x", prefix="task7") == "task7-x"


def test_the_documented_example_renders_in_both_languages(app: Flask) -> None:
    import json
    import re

    text = (TEMPLATES.parents[1] / "docs" / "forms.md").read_text(encoding="utf-8")
    blocks = [json.loads(block) for block in re.findall(r"```json\n(\{.*?)```", text, re.S)]
    schema, ui = next(b for b in blocks if "$schema" in b), next(b for b in blocks if "ui:order" in b)
    german = render(schema, ui, values={"aktenzeichen": "32.10.05-2026/00017"})
    assert [i.get("name") for i in german.xpath("//input[@type='text']")][:2] == ["aktenzeichen", "name"]
    assert one(german, '//select[@id="f-klasse"]/option[@value="B"]').text == "Pkw"
    english = render(schema, ui, locale="en")
    assert one(english, '//select[@id="f-klasse"]/option[@value="B"]').text == "Car"
    assert label_text(english, "f-personen-0-rolle--1") == "Representative"
    assert one(english, '//p[@id="f-bemerkung--help"]').text == "For internal use only."


def test_language_outside_a_request_is_german() -> None:
    from web.forms import current_language

    assert current_language() == "de"
    assert current_language("en_GB") == "en"
    assert current_language("<script>") == "de"


def test_hidden_options_and_id_prefix(app: Flask) -> None:
    schema = obj(n={"type": "integer", "enum": [1, 2]})
    doc = render(schema, {"n": {"ui:widget": "hidden"}}, values={"n": 2}, id_prefix="task7")
    assert one(doc, '//input[@name="n"]').get("id") == "task7-n"
    assert one(doc, '//input[@name="n"]').get("value") == "2"
    with pytest.raises(ValueError, match="id_prefix"):
        build_form(schema, id_prefix='x" onclick="')
