"""Task form markup from web.forms in chromium: axe-core WCAG 2.1 AA, and what Enter in a field submits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from flask import Flask, render_template_string
from flask_babel import Babel
from playwright.sync_api import Browser, Page, Route

from tests.browser.axe import assert_accessible
from web.forms import build_form

REPO = Path(__file__).resolve().parents[2]
CSS = REPO / "web" / "static" / "css" / "akte.css"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "licence", "persons"],
    "properties": {
        "name": {"type": "string", "title": "Name", "description": "Vor- und Nachname",
                 "x-translations": {"en": {"title": "Name", "description": "First and last name"}}},
        "amount": {"type": "number", "title": "Betrag", "minimum": 0},
        "born": {"type": "string", "format": "date", "title": "Geburtsdatum"},
        "mail": {"type": "string", "format": "email", "title": "E-Mail"},
        "note": {"type": "string", "maxLength": 2000, "title": "Bemerkung"},
        "licence": {"type": "string", "title": "Klasse", "oneOf": [
            {"const": "A", "title": "Motorrad"}, {"const": "B", "title": "Pkw"}]},
        "office": {"type": "string", "title": "Amt", "enum": ["32", "33", "50", "61", "62"]},
        "days": {"type": "array", "title": "Sprechtage", "items": {"enum": ["mo", "di", "mi"]}},
        "approved": {"type": "boolean", "title": "Genehmigt"},
        "fee": {"type": "boolean", "title": "Gebührenpflichtig"},
        "proof": {"type": "string", "format": "akte-document", "title": "Nachweis"},
        "reference": {"type": "string", "readOnly": True, "title": "Aktenzeichen"},
        "address": {"type": "object", "title": "Anschrift", "properties": {
            "street": {"type": "string", "title": "Straße"}, "city": {"type": "string", "title": "Ort"}}},
        "persons": {"type": "array", "title": "Personen", "minItems": 1, "items": {
            "type": "object", "title": "Person", "required": ["name"], "properties": {
                "name": {"type": "string", "title": "Name"},
                "role": {"type": "string", "title": "Rolle", "enum": ["Halter", "Fahrer"]},
                "phones": {"type": "array", "title": "Telefon", "items": {"type": "string"}}}}},
    },
}
UI = {"fee": {"ui:widget": "radio"}, "name": {"ui:placeholder": "Erika Mustermann"}}
VALUES = {"name": "", "amount": "zwölf", "reference": "32.10.05-2026/00017", "proof": "doc-1",
          "persons": [{"name": "Ada", "phones": ["0221 1"]}, {"name": ""}]}
ERRORS = {"name": "Bitte ausfüllen.", "amount": "Bitte eine Zahl eingeben.", "licence": "Bitte wählen.",
          "persons.1.name": "Bitte ausfüllen.", "(root)": "Allgemeiner Fehler"}

PAGE = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8"><title>Aufgabe</title></head>
<body><main><h1>Antrag prüfen</h1>
{% from "forms/fields.html" import schema_form %}
<form method="post" action="https://akte.test/submit" novalidate enctype="application/x-www-form-urlencoded">
{{ schema_form(form) }}
<button type="submit" name="_complete" value="1">Erledigen</button>
</form></main></body></html>"""


@pytest.fixture(scope="module")
def app() -> Flask:
    app = Flask(__name__, template_folder=str(REPO / "web" / "templates"))
    Babel(app)
    return app


@pytest.fixture
def blank_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="de-DE")
    yield context.new_page()
    context.close()


def show(app: Flask, page: Page, lang: str, **form: Any) -> None:
    with app.test_request_context():
        html = render_template_string(PAGE, lang=lang, form=build_form(SCHEMA, UI, locale=lang, **form))
    page.set_content(html)
    if CSS.exists():
        page.add_style_tag(path=str(CSS))


@pytest.mark.parametrize("lang", ["de", "en"])
def test_form_with_errors_passes_axe(app: Flask, blank_page: Page, lang: str) -> None:
    show(app, blank_page, lang, values=VALUES, errors=ERRORS)
    assert_accessible(blank_page, f"task form ({lang}, with errors)")


def test_fresh_form_passes_axe(app: Flask, blank_page: Page) -> None:
    show(app, blank_page, "de")
    assert_accessible(blank_page, "task form (empty)")


def test_enter_in_a_field_does_not_press_remove(app: Flask, blank_page: Page) -> None:
    show(app, blank_page, "de", values=VALUES)
    posted: list[list[tuple[str, str]]] = []

    def capture(route: Route) -> None:
        posted.append(parse_qsl(route.request.post_data or "", keep_blank_values=True))
        route.fulfill(status=200, body="ok", content_type="text/plain")

    blank_page.route("https://akte.test/**", capture)
    blank_page.locator("#f-persons-0-name").press("Enter")
    blank_page.wait_for_load_state()
    assert posted, "Enter did not submit the form"
    names = {name for name, _value in posted[0]}
    assert "_refresh" in names and "_remove" not in names and "_complete" not in names
