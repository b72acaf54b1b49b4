"""The designer's modeler and version diff over HTTP: saving an edited model deploys a new version (or nothing,
with the validation report), only designers may, and the diff lists what changed between two versions."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from flask.testing import FlaskClient
from lxml import etree

from core.bootstrap import Services
from engine.deploy import list_definitions
from engine.modeledit import version_source
from tests.bpmn.driver import deploy_procedure
from tests.web_helpers import csrf_from, page_client

KEY = "allgemeine_anfrage"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


@pytest.fixture
def designer(services: Services) -> FlaskClient:
    deploy_procedure(services, "allgemeine-anfrage")
    return page_client(services, "dora", roles=("designer",), locale="en")


def shipped_xml(client: FlaskClient) -> bytes:
    response = client.get(f"/designer/processes/{KEY}/1.bpmn")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    return response.data


def edited(xml: bytes, element_id: str, **attributes: str) -> bytes:
    """`xml` with attributes set on one element (camunda:x for names starting with camunda_)."""
    root = etree.fromstring(xml)
    [element] = root.xpath(f"//*[@id='{element_id}']")
    for name, value in attributes.items():
        qualified = f"{{{CAMUNDA}}}{name[len('camunda_'):]}" if name.startswith("camunda_") else name
        element.set(qualified, value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def save(client: FlaskClient, xml: bytes, version: int = 1, *, token: str | None = None) -> tuple[int, str]:
    if token is None:
        token = csrf_from(client.get(f"/designer/processes/{KEY}/{version}/edit").get_data(as_text=True))
    response = client.post(f"/designer/processes/{KEY}/{version}/edit", data=xml,
                           headers={"Content-Type": "application/xml", "X-CSRFToken": token})
    return response.status_code, response.get_data(as_text=True)


def versions(services: Services) -> list[tuple[int, str | None]]:
    with services.db.unit_of_work() as uow:
        return [(d.version, d.deployed_by) for d in list_definitions(uow, key=KEY)]


def test_the_editor_page_loads_the_version_with_the_deployed_forms_and_handlers(services: Services) -> None:
    services.engine.handlers.register("akte.test_letter", lambda params: None)
    deploy_procedure(services, "allgemeine-anfrage")
    client = page_client(services, "dora", roles=("designer",), locale="en")
    page = client.get(f"/designer/processes/{KEY}/1/edit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'data-xml-url="/designer/processes/{KEY}/1.bpmn"' in html
    assert f'data-save-url="/designer/processes/{KEY}/1/edit"' in html
    assert 'data-file-name="allgemeine-anfrage.bpmn"' in html
    assert '<option value="anfrage-erfassen.json">' in html and '<option value="anfrage-beantworten.json">' in html
    assert '<option value="akte.test_letter">' in html
    assert "bpmn-modeler.production.min.js" in html and "<script>" not in html
    assert b'id="Task_beantworten"' in shipped_xml(client)
    assert client.get(f"/designer/processes/{KEY}/7/edit").status_code == 404
    assert client.get("/designer/processes/nope/1.bpmn").status_code == 404


def test_saving_valid_xml_deploys_a_new_version_by_the_designer(services: Services, designer: FlaskClient) -> None:
    xml = edited(shipped_xml(designer), "Task_beantworten", camunda_candidateGroups="fachamt-leitung")
    status, html = save(designer, xml)
    assert status == 201, html
    assert 'data-outcome="deployed" data-version="2"' in html
    assert f'href="/designer/processes/{KEY}/2/edit"' in html and f'href="/designer/processes/{KEY}/2"' in html
    assert f'href="/designer/processes/{KEY}/diff?from=1&amp;to=2"' in html
    assert versions(services) == [(1, "test"), (2, "dora")]
    with services.db.unit_of_work() as uow:
        stored = version_source(uow, KEY, 2)
    task = etree.fromstring(stored.bpmn_xml).xpath("//*[@id='Task_beantworten']")[0]
    assert task.get(f"{{{CAMUNDA}}}candidateGroups") == "fachamt-leitung"
    assert stored.source_file == "allgemeine-anfrage.bpmn"  # the forms resolved from the first deployment

    status, html = save(designer, xml, version=2)  # the same model again: nothing new
    assert status == 200 and 'data-outcome="unchanged"' in html
    assert len(versions(services)) == 2


@pytest.mark.parametrize("broken, element, message", [
    (b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>", "-", "not well-formed"),
    (None, "Task_beantworten", "is not an ISO-8601 date"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><d>&x;</d>', "-", "entity"),
])
def test_saving_broken_xml_deploys_nothing_and_shows_the_problems(services: Services, designer: FlaskClient,
                                                                  broken: bytes | None, element: str,
                                                                  message: str) -> None:
    xml = broken or edited(shipped_xml(designer), "Task_beantworten", camunda_dueDate="bald")
    status, html = save(designer, xml)
    assert status == 422
    assert 'data-outcome="refused"' in html and '<table class="problems' in html
    assert f'data-element="{element}"' in html and message in html
    assert versions(services) == [(1, "test")]


def test_a_model_that_drops_its_process_or_exceeds_the_limit_is_refused(services: Services,
                                                                        designer: FlaskClient) -> None:
    renamed = shipped_xml(designer).replace(b'id="allgemeine_anfrage"', b'id="andere_anfrage"').replace(
        b'processRef="allgemeine_anfrage"', b'processRef="andere_anfrage"')
    status, html = save(designer, renamed)
    assert status == 422 and "no longer defines process" in html
    small = dataclasses.replace(services, engine=dataclasses.replace(services.engine, max_model_bytes=2048))
    limited = page_client(small, "dora", roles=("designer",), locale="en")
    status, html = save(limited, shipped_xml(limited))
    assert status == 422 and "larger than the limit of 2048 bytes" in html
    assert versions(services) == [(1, "test")]


def test_only_designers_may_edit_and_compare(services: Services, designer: FlaskClient) -> None:
    xml = shipped_xml(designer)
    caseworker = page_client(services, "carl", roles=("caseworker",), locale="en")
    token = csrf_from(caseworker.get("/inbox").get_data(as_text=True))
    for path in (f"/designer/processes/{KEY}/1/edit", f"/designer/processes/{KEY}/1.bpmn",
                 f"/designer/processes/{KEY}/diff"):
        assert caseworker.get(path).status_code == 403, path
    assert save(caseworker, xml, token=token)[0] == 403
    assert save(designer, xml, token="forged")[0] == 400  # CSRF
    anonymous = designer.application.test_client()
    assert anonymous.get(f"/designer/processes/{KEY}/1/edit").status_code == 302
    assert versions(services) == [(1, "test")]


def _rows(html: str) -> set[tuple[str, str]]:
    return set(re.findall(r'<tr data-element="([^"]+)" data-kind="([^"]+)">', html))


def test_the_diff_lists_the_changes_between_two_deployed_versions(services: Services,
                                                                  designer: FlaskClient) -> None:
    root = etree.fromstring(shipped_xml(designer))
    task = root.xpath("//*[@id='Task_erfassen']")[0]
    task.set("name", "Anfrage aufnehmen")
    root.xpath("//*[@id='Task_beantworten']")[0].set(f"{{{CAMUNDA}}}candidateGroups", "fachamt-leitung")
    process = root.xpath("//*[@id='allgemeine_anfrage']")[0]
    etree.SubElement(process, f"{{{BPMN}}}textAnnotation", id="Note_1")  # no DI needed for the diff
    status, html = save(designer, etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert status == 201, html

    page = designer.get(f"/designer/processes/{KEY}/diff?from=1&to=2")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _rows(html) == {("Task_erfassen", "changed"), ("Task_beantworten", "changed"), ("Note_1", "added")}
    assert "camunda:candidateGroups" in html and "fachamt-leitung" in html and "Anfrage aufnehmen" in html
    markers = re.search(r"data-markers='([^']*)'[^>]*>\s*</div>\s*</figure>\s*</div>", html)
    assert markers is not None
    assert json.loads(markers.group(1).replace("&#34;", '"')) == {
        "Task_erfassen": "changed", "Task_beantworten": "changed", "Note_1": "added"}
    assert _rows(designer.get(f"/designer/processes/{KEY}/diff").get_data(as_text=True)) == _rows(html)

    backwards = designer.get(f"/designer/processes/{KEY}/diff?from=2&to=1").get_data(as_text=True)
    assert ("Note_1", "removed") in _rows(backwards)
    same = designer.get(f"/designer/processes/{KEY}/diff?from=2&to=2").get_data(as_text=True)
    assert _rows(same) == set() and 'data-changes="0"' in same
    assert designer.get(f"/designer/processes/{KEY}/diff?from=1&to=9").status_code == 404
    assert designer.get(f"/designer/processes/{KEY}/diff?from=x").status_code == 404
    assert designer.get("/designer/processes/unknown/diff").status_code == 404
