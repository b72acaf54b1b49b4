"""The designer's modeler and version diff in chromium: edit a shipped model's user task in akte's properties panel,
save it as version 2, see the report when the model is broken, download the XML, and find the task marked changed
in the diff. Every shipped model survives a round trip through the modeler without a semantic change."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from playwright.sync_api import Locator, Page, expect

from core.bootstrap import Services
from engine.deploy import deploy, list_definitions
from engine.modeledit import version_source
from engine.workflow.model_types import SourceFile
from tests.bpmn.driver import deploy_procedure, shipped_procedures
from tests.browser.axe import assert_accessible, save_screenshot
from tests.browser.conftest import LiveServer
from tests.browser.test_caseworker import _sign_in
from tests.web_helpers import ensure_user

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
KEY = "allgemeine_anfrage"
KEYS = {"allgemeine-anfrage": KEY, "fuehrerscheinumtausch": "fuehrerscheinumtausch",
        "gewerbeanmeldung": "gewerbeanmeldung", "rechnungseingang": "rechnungseingang"}


def _open_editor(page: Page, services: Services, key: str, version: int = 1) -> Locator:
    ensure_user(services, "dora", roles=("designer",), locale="en")
    _sign_in(page, "dora")
    page.goto(f"/designer/processes/{key}/{version}/edit")
    editor = page.locator(".akte-modeler[data-state=ready]")
    expect(editor).to_have_attribute("data-import-warnings", "0")
    return editor


def _set(page: Page, selector: str, value: str) -> None:
    page.fill(selector, value)
    page.press(selector, "Tab")  # the panel writes a field back when it is left


def _task_attribute(services: Services, version: int, element_id: str, name: str) -> str | None:
    with services.db.unit_of_work() as uow:
        xml = version_source(uow, KEY, version).bpmn_xml
    [element] = etree.fromstring(xml).xpath(f"//*[@id='{element_id}']")
    value = element.get(f"{{{CAMUNDA}}}{name}")
    return None if value is None else str(value)


def test_a_designer_changes_a_candidate_group_saves_version_2_and_sees_it_in_the_diff(
        page: Page, live_server: LiveServer) -> None:
    services = live_server.services
    deploy_procedure(services, "allgemeine-anfrage")
    editor = _open_editor(page, services, KEY)
    expect(page.locator("h1")).to_contain_text("Allgemeine Anfrage")
    assert_accessible(page, "modeler")

    page.click('.akte-modeler-canvas [data-element-id="Task_beantworten"]')
    expect(page.locator("#prop-element")).to_have_value("Task_beantworten")
    expect(page.locator("#prop-due-date")).to_have_value("P14D")
    expect(page.locator("#prop-form-key")).to_have_value("anfrage-beantworten.json")
    expect(page.locator("#prop-handler")).to_be_hidden()
    _set(page, "#prop-candidate-groups", "fachamt-leitung, poststelle")
    expect(editor).to_have_attribute("data-dirty", "true")
    _set(page, "#prop-due-date", "bald")
    expect(page.locator("#prop-due-date")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#prop-due-date-error")).not_to_be_empty()
    _set(page, "#prop-due-date", "P10D")
    expect(page.locator("#prop-due-date")).not_to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "modeler with a user task selected")
    save_screenshot(page, "designer-modeler")

    with page.expect_download() as download:
        page.click("[data-action=download]")
    assert download.value.suggested_filename == "allgemeine-anfrage.bpmn"
    downloaded = Path(download.value.path()).read_text(encoding="utf-8")
    assert 'camunda:candidateGroups="fachamt-leitung,poststelle"' in downloaded

    page.click("[data-action=save]")
    expect(editor).to_have_attribute("data-save-status", "201")
    expect(page.locator("[data-save-result] [data-outcome=deployed]")).to_have_attribute("data-version", "2")
    expect(editor).to_have_attribute("data-dirty", "false")
    with services.db.unit_of_work() as uow:
        assert [(d.version, d.deployed_by) for d in list_definitions(uow, key=KEY)] == [(1, "test"), (2, "dora")]
    assert _task_attribute(services, 2, "Task_beantworten", "candidateGroups") == "fachamt-leitung,poststelle"
    assert _task_attribute(services, 2, "Task_beantworten", "dueDate") == "P10D"
    assert _task_attribute(services, 2, "Task_beantworten", "formKey") == "anfrage-beantworten.json"
    assert_accessible(page, "modeler after saving")

    page.click("[data-save-result] a[href$='diff?from=1&to=2']")
    expect(page.locator(".akte-diff-diagram[data-state=rendered]")).to_have_count(2)
    changed = page.locator("tr[data-element=Task_beantworten][data-kind=changed]")
    expect(changed).to_be_visible()
    expect(changed.locator("li[data-field='camunda:candidateGroups']")).to_contain_text("fachamt-leitung,poststelle")
    expect(changed.locator("li[data-field='camunda:dueDate']")).to_contain_text("P10D")
    expect(page.locator("tr[data-element]")).to_have_count(1)  # the round trip through bpmn-js changed nothing else
    newer = page.locator(".akte-diff-diagram").nth(1)
    expect(newer).to_have_attribute("data-marked", "1")
    expect(newer.locator('[data-element-id="Task_beantworten"].akte-diff-changed')).to_have_count(1)
    expect(newer.locator(".akte-diff-badge-changed")).to_have_count(1)
    save_screenshot(page, "designer-diff")
    assert_accessible(page, "version diff")


def test_a_broken_edit_shows_the_report_highlights_the_element_and_deploys_nothing(
        page: Page, live_server: LiveServer) -> None:
    services = live_server.services
    deploy_procedure(services, "allgemeine-anfrage")
    editor = _open_editor(page, services, KEY)
    page.select_option("#prop-element", "Task_erfassen")  # by keyboard, without the canvas
    expect(page.locator("#prop-candidate-groups")).to_be_visible()
    _set(page, "#prop-name", "Anfrage aufnehmen")
    _set(page, "#prop-assignee", "${nicht (ok}")
    page.click("[data-action=save]")
    expect(editor).to_have_attribute("data-save-status", "422")
    report = page.locator("[data-save-result] [data-outcome=refused]")
    expect(report.locator("tr[data-element=Task_erfassen]")).to_have_count(1)
    expect(page.locator('.akte-modeler-canvas [data-element-id="Task_erfassen"].akte-problem')).to_have_count(1)
    with services.db.unit_of_work() as uow:
        assert [d.version for d in list_definitions(uow, key=KEY)] == [1]
    assert_accessible(page, "modeler with a validation report")

    page.select_option("#prop-element", "")
    report.locator("button[data-show-element=Task_erfassen]").click()
    expect(page.locator("#prop-element")).to_have_value("Task_erfassen")
    expect(page.locator("#prop-name")).to_have_value("Anfrage aufnehmen")
    _set(page, "#prop-assignee", "")
    page.click("[data-action=save]")
    expect(editor).to_have_attribute("data-save-status", "201")
    with services.db.unit_of_work() as uow:
        v2 = version_source(uow, KEY, 2)
    assert b'name="Anfrage aufnehmen"' in v2.bpmn_xml and b"assignee" not in v2.bpmn_xml


def test_every_shipped_model_survives_the_modeler_unchanged(page: Page, live_server: LiveServer) -> None:
    services = live_server.services
    ensure_user(services, "dora", roles=("designer",), locale="en")
    _sign_in(page, "dora")
    for procedure in shipped_procedures():
        deploy_procedure(services, procedure)
        key = KEYS[procedure]
        page.goto(f"/designer/processes/{key}/1/edit")
        editor = page.locator(".akte-modeler[data-state=ready]")
        expect(editor).to_have_attribute("data-import-warnings", "0")
        page.click("[data-action=save]")
        expect(editor).to_have_attribute("data-save-status", "201")  # bpmn-js writes the XML its own way
        page.goto(f"/designer/processes/{key}/diff?from=1&to=2")
        expect(page.locator(".akte-diff-summary")).to_have_attribute("data-changes", "0")


PLAIN_MODEL = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="Defs_plain" targetNamespace="https://akte.example/plain">'
    '<bpmn:process id="plain" name="Ohne Camunda" isExecutable="true">'
    '<bpmn:startEvent id="Start"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>'
    '<bpmn:userTask id="Task_pruefen" name="Prüfen">'
    "<bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing></bpmn:userTask>"
    '<bpmn:endEvent id="End"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>'
    '<bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Task_pruefen" />'
    '<bpmn:sequenceFlow id="F2" sourceRef="Task_pruefen" targetRef="End" />'
    "</bpmn:process>"
    '<bpmndi:BPMNDiagram id="Diagram_plain"><bpmndi:BPMNPlane id="Plane_plain" bpmnElement="plain">'
    '<bpmndi:BPMNShape id="Start_di" bpmnElement="Start"><dc:Bounds x="100" y="100" width="36" height="36" />'
    "</bpmndi:BPMNShape>"
    '<bpmndi:BPMNShape id="Task_di" bpmnElement="Task_pruefen"><dc:Bounds x="200" y="78" width="100" height="80" />'
    "</bpmndi:BPMNShape>"
    '<bpmndi:BPMNShape id="End_di" bpmnElement="End"><dc:Bounds x="370" y="100" width="36" height="36" />'
    "</bpmndi:BPMNShape>"
    '<bpmndi:BPMNEdge id="F1_di" bpmnElement="F1"><di:waypoint x="136" y="118" /><di:waypoint x="200" y="118" />'
    "</bpmndi:BPMNEdge>"
    '<bpmndi:BPMNEdge id="F2_di" bpmnElement="F2"><di:waypoint x="300" y="118" /><di:waypoint x="370" y="118" />'
    "</bpmndi:BPMNEdge>"
    "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>"
).encode()


def test_a_model_without_the_camunda_namespace_gets_it_declared(page: Page, live_server: LiveServer) -> None:
    services = live_server.services
    with services.db.unit_of_work() as uow:
        deploy(uow, services.engine, [SourceFile("plain.bpmn", PLAIN_MODEL)], deployed_by="test")
        uow.commit()
    editor = _open_editor(page, services, "plain")
    page.select_option("#prop-element", "Task_pruefen")
    _set(page, "#prop-candidate-groups", "pruefstelle")
    page.click("[data-action=save]")
    expect(editor).to_have_attribute("data-save-status", "201")
    with services.db.unit_of_work() as uow:
        root = etree.fromstring(version_source(uow, "plain", 2).bpmn_xml)
    assert CAMUNDA in root.nsmap.values()
    assert root.xpath("//*[@id='Task_pruefen']")[0].get(f"{{{CAMUNDA}}}candidateGroups") == "pruefstelle"


def test_a_service_task_handler_is_chosen_from_the_registered_ones(page: Page, live_server: LiveServer) -> None:
    services = live_server.services
    deploy_procedure(services, "fuehrerscheinumtausch")
    editor = _open_editor(page, services, "fuehrerscheinumtausch")
    page.select_option("#prop-element", "Task_gebuehr_erheben")
    expect(page.locator("#prop-handler")).to_have_value("akte.payment")
    expect(page.locator("#prop-candidate-groups")).to_be_hidden()
    expect(page.locator("#prop-handler option[value='akte.card_order']")).to_have_count(1)
    page.select_option("#prop-handler", "akte.card_order")
    expect(editor).to_have_attribute("data-dirty", "true")
    page.click("[data-action=save]")
    expect(editor).to_have_attribute("data-save-status", "201")
    with services.db.unit_of_work() as uow:
        root = etree.fromstring(version_source(uow, "fuehrerscheinumtausch", 2).bpmn_xml)
    task = root.xpath("//*[@id='Task_gebuehr_erheben']")[0]
    assert (task.get(f"{{{CAMUNDA}}}type"), task.get(f"{{{CAMUNDA}}}topic")) == ("external", "akte.card_order")
