"""A task form through a tiny Flask app, wired the way a task page uses web.forms: show, submit with errors,
add/remove entries without JavaScript, upload a document, complete."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from flask import Flask, Response, render_template_string, request
from flask_babel import Babel

from web.forms import build_form, parse_submission, validate

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "Antrag erfassen",
    "required": ["name", "amount", "persons"],
    "properties": {
        "name": {"type": "string", "title": "Name", "minLength": 2,
                 "x-translations": {"en": {"title": "Name"}}},
        "amount": {"type": "number", "title": "Betrag", "minimum": 0,
                   "x-translations": {"en": {"title": "Amount"}}},
        "proof": {"type": "string", "format": "akte-document", "title": "Nachweis"},
        "persons": {"type": "array", "title": "Personen", "minItems": 1, "items": {
            "type": "object", "title": "Person", "required": ["name"],
            "properties": {"name": {"type": "string", "title": "Name"}, "age": {"type": "integer", "title": "Alter"}}}},
    },
}

PAGE = """<!doctype html><html lang="de"><head><title>Aufgabe</title></head><body><main><h1>Aufgabe</h1>
{% from "forms/fields.html" import schema_form %}
<form method="post" novalidate{% if form.needs_multipart %} enctype="multipart/form-data"{% endif %}>
{{ schema_form(form) }}
<button type="submit" name="_complete" value="1">Erledigen</button>
</form></main></body></html>"""


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config["BABEL_DEFAULT_LOCALE"] = "de"
    Babel(app, locale_selector=lambda: request.accept_languages.best_match(["de", "en"]) or "de")
    store: dict[str, Any] = {"task": {}, "documents": {}, "completed": None}
    app.config["STORE"] = store

    @app.route("/task", methods=["GET", "POST"])
    def task() -> Response | str:
        if request.method == "GET":
            return render_template_string(PAGE, form=build_form(SCHEMA, None, store["task"]))
        submission = parse_submission(SCHEMA, request.form, request.files, current=store["task"])
        for path, upload in submission.uploads.items():
            document_id = f"doc-{len(store['documents']) + 1}"
            store["documents"][document_id] = upload.read()
            submission.set_document(path, document_id)
        errors = submission.errors if submission.action else validate(SCHEMA, submission.data, submission.errors)
        if submission.action or errors:
            form = build_form(SCHEMA, None, submission.values, errors, focus=submission.focus)
            return render_template_string(PAGE, form=form)
        store["completed"] = submission.data
        return Response(json.dumps(submission.data), mimetype="application/json")

    return app


def page(response: Any) -> lxml.html.HtmlElement:
    assert response.status_code == 200
    return lxml.html.document_fromstring(response.get_data(as_text=True))


def test_empty_form_then_errors_keep_the_input(app: Flask) -> None:
    client = app.test_client()
    doc = page(client.get("/task"))
    assert doc.xpath('//input[@id="f-persons-0-name"]') and not doc.xpath('//*[@class="error-summary"]')
    doc = page(client.post("/task", data={"name": "Ada", "amount": "12,5x", "persons.0.name": "",
                                          "_count.persons": "1"}))
    assert doc.xpath('//input[@id="f-name"]/@value') == ["Ada"]
    assert doc.xpath('//input[@id="f-amount"]/@value') == ["12,5x"]
    assert doc.xpath('//input[@id="f-amount"]/@aria-invalid') == ["true"]
    hrefs = doc.xpath('//div[@class="error-summary"]//a/@href')
    assert hrefs == ["#f-amount", "#f-persons"]
    assert app.config["STORE"]["completed"] is None


def test_add_and_remove_entries_without_javascript(app: Flask) -> None:
    client = app.test_client()
    doc = page(client.post("/task", data={"name": "Ada", "persons.0.name": "Bea", "persons.0.age": "7",
                                          "_count.persons": "1", "_add": "persons"}))
    assert doc.xpath('//input[@name="persons.0.name"]/@value') == ["Bea"]
    assert doc.xpath('//input[@name="persons.1.name"]/@value') == [""]
    assert doc.xpath("//*[@autofocus]/@id") == ["f-persons-1-name"]
    assert not doc.xpath('//*[@class="error-summary"]')  # adding does not validate
    doc = page(client.post("/task", data={"name": "Ada", "persons.0.name": "Bea", "persons.1.name": "Cem",
                                          "_count.persons": "2", "_remove": "persons.0"}))
    assert doc.xpath('//div[@class="repeat-item"]//input[@type="text"]/@value') == ["Cem", ""]


def test_upload_then_complete(app: Flask) -> None:
    client = app.test_client()
    doc = page(client.post("/task", data={"name": "Ada", "amount": "", "persons.0.name": "Bea",
                                          "proof": (io.BytesIO(b"%PDF-1.7"), "scan.pdf")},
                           content_type="multipart/form-data"))
    assert "doc-1" in doc.xpath('//p[@id="f-proof--document"]')[0].text_content()
    assert doc.xpath('//input[@type="hidden"][@name="proof"]/@value') == ["doc-1"]
    response = client.post("/task", data={"name": "Ada", "amount": "1.234,50", "proof": "doc-1",
                                          "persons.0.name": "Bea", "persons.0.age": "7", "persons.1.name": "",
                                          "_count.persons": "2", "_complete": "1"})
    assert response.json == {"name": "Ada", "amount": 1234.5, "proof": "doc-1",
                             "persons": [{"name": "Bea", "age": 7}]}
    assert app.config["STORE"]["documents"] == {"doc-1": b"%PDF-1.7"}


def test_language_follows_the_request(app: Flask) -> None:
    client = app.test_client()
    doc = page(client.post("/task", data={"amount": "x"}, headers={"Accept-Language": "en"}))
    assert " ".join(doc.xpath('//label[@for="f-amount"]')[0].text_content().split()) == "Amount (required)"
    doc = page(client.post("/task", data={"amount": "x"}, headers={"Accept-Language": "de"}))
    assert " ".join(doc.xpath('//label[@for="f-amount"]')[0].text_content().split()) == "Betrag (required)"
