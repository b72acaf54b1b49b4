"""Designer catalogue, version pages, form previews and the upload with its validation report (SQLite and
PostgreSQL), plus the deploy-time warnings of engine/workflow/lint.py."""

from __future__ import annotations

import io
import re
import zipfile

from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from core.bootstrap import Services
from engine.catalog import catalogue
from engine.deploy import deploy
from engine.handlers import HandlerRegistry
from engine.instances import start_instance
from engine.models import ProcessDefinition
from engine.workflow.parsing import SourceFile, parse_models
from tests.bpmn.driver import PROCEDURES, deploy_procedure, procedure_files
from tests.web_helpers import csrf_from, page_client
from web.ui.designer.modelfiles import collect_uploads, unsafe_member

ANFRAGE = PROCEDURES / "allgemeine-anfrage"
ANFRAGE_BPMN = (ANFRAGE / "allgemeine-anfrage.bpmn").read_bytes()
BROKEN_ANFRAGE = ANFRAGE_BPMN.replace(b'<bpmn:userTask id="Task_erfassen"',
                                      b'<bpmn:userTask id="Task_erfassen" camunda:candidateUsers="dora"')
HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
          '20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="definitions" targetNamespace="t">\n')


def _model(pid: str, body: str) -> bytes:
    return (HEADER + f'<bpmn:process id="{pid}" isExecutable="true">\n{body}\n</bpmn:process>\n'
            "</bpmn:definitions>\n").encode()


LINTED = _model("linted", """
  <bpmn:startEvent id="start"/>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="nobody"/>
  <bpmn:userTask id="nobody" name="Nobody's task"/>
  <bpmn:sequenceFlow id="f2" sourceRef="nobody" targetRef="wait"/>
  <bpmn:userTask id="wait" name="Wait for papers" camunda:candidateGroups="office" camunda:dueDate="P14D"/>
  <bpmn:boundaryEvent id="deadline" attachedToRef="wait">
    <bpmn:timerEventDefinition><bpmn:timeDuration>P30D</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:sequenceFlow id="f3" sourceRef="deadline" targetRef="end"/>
  <bpmn:sequenceFlow id="f4" sourceRef="wait" targetRef="end"/>
  <bpmn:endEvent id="end"/>
  <bpmn:userTask id="orphan" name="Forgotten" camunda:candidateGroups="office"/>
  <bpmn:sequenceFlow id="f5" sourceRef="orphan" targetRef="orphan_end"/>
  <bpmn:endEvent id="orphan_end"/>""")


def _designer(services: Services, login: str = "dora") -> FlaskClient:
    return page_client(services, login, roles=("designer",), locale="en")


def _post_files(client: FlaskClient, files: list[tuple[str, bytes]]) -> tuple[int, str]:
    token = csrf_from(client.get("/designer/upload").get_data(as_text=True))
    data = {"csrf_token": token, "files": [(io.BytesIO(content), name) for name, content in files]}
    response = client.post("/designer/upload", data=data, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def _anfrage_files(bpmn: bytes = ANFRAGE_BPMN) -> list[tuple[str, bytes]]:
    forms = [(path.name, path.read_bytes()) for path in sorted((ANFRAGE / "forms").glob("*.json"))]
    return [("allgemeine-anfrage.bpmn", bpmn), *forms]


def _definitions(services: Services) -> int:
    with services.db.unit_of_work() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0)


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr class="problem-(?:error|warning)".*?</tr>', html, flags=re.S)


# -- catalogue and version pages ------------------------------------------------------------------------------

def test_catalogue_counts_running_instances_per_version(services: Services) -> None:
    deploy_procedure(services, "gewerbeanmeldung")
    with services.db.unit_of_work() as uow:
        for _ in range(2):
            start_instance(uow, services.engine, "gewerbeanmeldung", {}, started_by="test")
        uow.commit()
    changed = [SourceFile(f.name, f.content.replace(b'name="Anmeldung erfassen"', b'name="Anmeldung aufnehmen"'))
               for f in procedure_files("gewerbeanmeldung")]
    with services.db.unit_of_work() as uow:
        assert [p.version for p in deploy(uow, services.engine, changed, deployed_by="dora").processes] == [2]
        start_instance(uow, services.engine, "gewerbeanmeldung", {}, started_by="test")
        uow.commit()
    with services.db.unit_of_work() as uow:
        [process] = catalogue(uow)
    assert process.key == "gewerbeanmeldung" and [v.version for v in process.versions] == [2, 1]
    assert [v.running for v in process.versions] == [1, 2] and process.running == 3
    assert [v.deployed_by for v in process.versions] == ["dora", "test"]
    assert {d.decision_id for d in process.versions[1].decisions} == {"erlaubnispflicht"}
    assert process.versions[0].decisions[0].name == "Erlaubnispflicht ermitteln"
    assert process.versions[0].decisions[0].file == "erlaubnispflicht.dmn"  # unchanged: found in version 1's deployment
    assert "gewerbe-anmeldung-erfassen.json" in {f.form_key for f in process.versions[0].forms}

    client = _designer(services)
    html = client.get("/designer/").get_data(as_text=True)
    assert re.search(r'<tr data-version="2">.*?data-running="1".*?</tr>', html, flags=re.S)
    assert re.search(r'<tr data-version="1">.*?data-running="2".*?</tr>', html, flags=re.S)
    assert f'title="{process.versions[0].sha256}"' in html and "Erlaubnispflicht ermitteln" in html
    assert 'href="/designer/processes/gewerbeanmeldung/2"' in html
    older = client.get("/designer/processes/gewerbeanmeldung/1").get_data(as_text=True)
    assert '<dd id="running-count">2</dd>' in older
    if "designer.migration" in client.application.view_functions:  # the migration page links from here
        assert "/designer/processes/gewerbeanmeldung/migrate?from=1&amp;to=2" in older


def test_version_page_diagram_download_decisions_and_form_previews(services: Services) -> None:
    deploy_procedure(services, "gewerbeanmeldung")
    client = _designer(services)
    page = client.get("/designer/processes/gewerbeanmeldung/1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-xml-url="/designer/processes/gewerbeanmeldung/1.bpmn"' in html
    assert 'id="decision-erlaubnispflicht"' in html and "Rule_bewachung" not in html
    assert "Bewachungserlaubnis nach § 34a GewO" in html  # a rule's output cell
    assert "Tätigkeitsbereich (taetigkeit_kategorie)" in html  # an input column: label (expression)
    assert "/designer/processes/gewerbeanmeldung/1/forms/Task_erfassen?lang=en" in html
    assert "<code>Rule_erlaubnispflicht</code>" in html  # the element table beside the diagram

    xml = client.get("/designer/processes/gewerbeanmeldung/1.bpmn")
    assert xml.mimetype == "application/xml" and xml.data == (PROCEDURES / "gewerbeanmeldung" /
                                                              "gewerbeanmeldung.bpmn").read_bytes()
    download = client.get("/designer/processes/gewerbeanmeldung/1/download")
    assert download.headers["Content-Disposition"].startswith('attachment; filename="gewerbeanmeldung-v1.bpmn"')
    assert client.get("/designer/processes/gewerbeanmeldung/9").status_code == 404

    german = client.get("/designer/processes/gewerbeanmeldung/1/forms/Task_erfassen?lang=de").get_data(as_text=True)
    english = client.get("/designer/processes/gewerbeanmeldung/1/forms/Task_erfassen?lang=en").get_data(as_text=True)
    assert "Eingang der Anzeige <span class=\"required-mark\">(Pflichtfeld)</span>" in german
    assert '<div lang="de"' in german and '<div lang="en"' in english
    preview = english.split('<div lang="en"')[1]  # the page around it is in the user's language
    assert "Notification received on <span class=\"required-mark\">(required)</span>" in preview
    assert "Details from the trade notification" in preview and "Pflichtfeld" not in preview
    token = csrf_from(english)
    checked = client.post("/designer/processes/gewerbeanmeldung/1/forms/Task_erfassen?lang=en",
                          data={"csrf_token": token, "betrieb_name": ""})
    assert checked.status_code == 400 and 'class="field-error"' in checked.get_data(as_text=True)
    added = client.post("/designer/processes/gewerbeanmeldung/1/forms/Task_erfassen?lang=en",
                        data={"csrf_token": token, "_count.personen": "1", "personen.0.name": "Muster",
                              "_add": "personen"})  # "add another entry" works as on the task page
    assert added.status_code == 200 and "Person 2" in added.get_data(as_text=True)
    assert client.get("/designer/processes/gewerbeanmeldung/1/forms/Rule_erlaubnispflicht").status_code == 404


def test_caseworker_may_not_open_designer_pages(services: Services) -> None:
    deploy_procedure(services, "allgemeine-anfrage")
    clerk = page_client(services, "carl", roles=("caseworker",), locale="en")
    for path in ("/designer/", "/designer/upload", "/designer/processes/allgemeine_anfrage/1",
                 "/designer/processes/allgemeine_anfrage/1.bpmn", "/designer/processes/allgemeine_anfrage/1/download",
                 "/designer/processes/allgemeine_anfrage/1/forms/Task_erfassen"):
        assert clerk.get(path).status_code == 403, path
    token = csrf_from(clerk.get("/inbox").get_data(as_text=True))
    response = clerk.post("/designer/upload", data={"csrf_token": token,
                                                    "files": [(io.BytesIO(BROKEN_ANFRAGE), "x.bpmn")]},
                          content_type="multipart/form-data")
    assert response.status_code == 403 and _definitions(services) == 1


# -- upload -------------------------------------------------------------------------------------------------------

def test_upload_with_an_error_deploys_nothing_and_reports_file_line_element(services: Services) -> None:
    client = _designer(services)
    status, html = _post_files(client, _anfrage_files(BROKEN_ANFRAGE))
    assert status == 422 and 'data-outcome="rejected"' in html
    row = next(row for row in _rows(html) if "candidateUsers" in row)
    line = BROKEN_ANFRAGE.decode().splitlines().index(
        next(text for text in BROKEN_ANFRAGE.decode().splitlines() if "candidateUsers" in text)) + 1
    assert 'data-element="Task_erfassen"' in row and 'data-file="allgemeine-anfrage.bpmn"' in row
    assert f"<td>{line}</td>" in row and "<code>Task_erfassen</code>" in row
    assert 'class="report-model"' in html and 'data-elements=\'["Task_erfassen"]\'' in html  # diagram beside
    assert "<script type=\"application/json\" class=\"report-model\">\"\\u003c?xml" in html  # embedded, inert
    assert _definitions(services) == 0

    status, html = _post_files(client, _anfrage_files())  # fixed: deploys, the deployer recorded
    assert status == 200 and 'data-outcome="deployed"' in html
    assert 'href="/designer/processes/allgemeine_anfrage/1"' in html
    with services.db.unit_of_work() as uow:
        [process] = catalogue(uow)
    assert process.versions[0].deployed_by == "dora"


def test_zip_upload_deploys_and_skips_other_files(services: Services) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(ANFRAGE.rglob("*")):
            if path.is_file():
                zipped.write(path, f"allgemeine-anfrage/{path.relative_to(ANFRAGE)}")
    status, html = _post_files(_designer(services), [("anfrage.zip", archive.getvalue())])
    assert status == 200 and 'data-outcome="deployed"' in html
    assert "allgemeine-anfrage/README.md" in html  # named as skipped
    with services.db.unit_of_work() as uow:
        [process] = catalogue(uow)
    assert process.key == "allgemeine_anfrage" and {f.form_key for f in process.versions[0].forms} == {
        "anfrage-erfassen.json", "anfrage-beantworten.json"}


def test_zip_with_path_traversal_is_refused(services: Services) -> None:
    client = _designer(services)
    for member in ("../evil.bpmn", "/etc/evil.bpmn", "forms\\..\\..\\evil.json", "a/../../b.dmn"):
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            for name, content in _anfrage_files():
                zipped.writestr(name, content)
            zipped.writestr(zipfile.ZipInfo(member), b"<x/>")
        status, html = _post_files(client, [("models.zip", archive.getvalue())])
        assert status == 422 and "unsafe path in the zip" in html, member
    assert _definitions(services) == 0


def test_warnings_are_shown_but_do_not_block(services: Services) -> None:
    status, html = _post_files(_designer(services), [("linted.bpmn", LINTED)])
    assert status == 200 and 'data-outcome="deployed"' in html and _definitions(services) == 1
    rows = _rows(html)
    assert all('class="problem-warning"' in row for row in rows)
    found = {re.search(r'data-element="([^"]+)"', row).group(1): row for row in rows}  # type: ignore[union-attr]
    assert "no candidate group, lane or assignee" in found["nobody"]
    assert "not reachable from any start event" in found["orphan"]
    assert "no reminder" in found["deadline"]
    assert set(found) == {"nobody", "orphan", "orphan_end", "deadline"}


def test_upload_without_files_or_with_wrong_type_is_refused(services: Services) -> None:
    client = _designer(services)
    token = csrf_from(client.get("/designer/upload").get_data(as_text=True))
    empty = client.post("/designer/upload", data={"csrf_token": token}, content_type="multipart/form-data")
    assert empty.status_code == 400
    status, html = _post_files(client, [("notes.txt", b"hello"), ("allgemeine-anfrage.bpmn", ANFRAGE_BPMN)])
    assert status == 422 and "unsupported file type" in html and _definitions(services) == 0


# -- file collection (no database) ---------------------------------------------------------------------------------

def _storage(name: str, content: bytes) -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=name)


def test_collect_uploads_limits_each_file_and_the_total() -> None:
    collected = collect_uploads([_storage("a.bpmn", b"x" * 2000), _storage("b.json", b"{}")],
                                max_bytes=1024, max_total_bytes=4096)
    assert [p.file for p in collected.problems] == ["a.bpmn"] and [f.name for f in collected.files] == ["b.json"]
    total = collect_uploads([_storage(f"{n}.json", b"x" * 1000) for n in range(5)], max_bytes=1024,
                            max_total_bytes=4096)
    assert len(total.files) == 4 and "all files together" in total.problems[0].message


def test_collect_uploads_bounds_zip_members_whatever_the_header_says() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("big.bpmn", b"<a/>" * 100_000)  # 400 kB of zeros-like text compresses to little
        zipped.writestr("__MACOSX/._big.bpmn", b"junk")
    collected = collect_uploads([_storage("m.zip", archive.getvalue())], max_bytes=1024, max_total_bytes=8192)
    assert collected.files == [] and "larger than the limit" in collected.problems[0].message
    assert unsafe_member("../x") and unsafe_member("C:/x") and not unsafe_member("forms/x.json")


# -- lint --------------------------------------------------------------------------------------------------------

def _warnings(*models: tuple[str, bytes]) -> list[tuple[str, str]]:
    result = parse_models([SourceFile(name, content) for name, content in models], max_bytes=1_000_000,
                          handlers=HandlerRegistry())
    return sorted((w.element_id, w.message) for w in result.warnings)


def test_reachability_follows_boundary_events_event_subprocesses_and_links() -> None:
    model = _model("reach", """
  <bpmn:laneSet><bpmn:lane id="lane" name="office"><bpmn:flowNodeRef>t1</bpmn:flowNodeRef>
    <bpmn:flowNodeRef>t2</bpmn:flowNodeRef><bpmn:flowNodeRef>t3</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
  <bpmn:startEvent id="s"/>
  <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="t1"/>
  <bpmn:userTask id="t1"/>
  <bpmn:boundaryEvent id="remind" attachedToRef="t1" cancelActivity="false">
    <bpmn:timerEventDefinition><bpmn:timeDuration>P7D</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:boundaryEvent id="expire" attachedToRef="t1">
    <bpmn:timerEventDefinition><bpmn:timeDuration>P14D</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:sequenceFlow id="b" sourceRef="remind" targetRef="t2"/>
  <bpmn:userTask id="t2"/>
  <bpmn:sequenceFlow id="c" sourceRef="t2" targetRef="e2"/>
  <bpmn:endEvent id="e2"/>
  <bpmn:sequenceFlow id="d" sourceRef="expire" targetRef="throw"/>
  <bpmn:intermediateThrowEvent id="throw"><bpmn:linkEventDefinition name="L"/></bpmn:intermediateThrowEvent>
  <bpmn:intermediateCatchEvent id="catch"><bpmn:linkEventDefinition name="L"/></bpmn:intermediateCatchEvent>
  <bpmn:sequenceFlow id="e" sourceRef="catch" targetRef="e3"/>
  <bpmn:endEvent id="e3"/>
  <bpmn:sequenceFlow id="f" sourceRef="t1" targetRef="e1"/>
  <bpmn:endEvent id="e1"/>
  <bpmn:subProcess id="events" triggeredByEvent="true">
    <bpmn:startEvent id="es"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>
    <bpmn:sequenceFlow id="g" sourceRef="es" targetRef="t3"/>
    <bpmn:userTask id="t3"/>
    <bpmn:sequenceFlow id="h" sourceRef="t3" targetRef="ee"/>
    <bpmn:endEvent id="ee"/>
    <bpmn:userTask id="t4" camunda:assignee="dora"/>
    <bpmn:sequenceFlow id="i" sourceRef="t4" targetRef="ee"/>
  </bpmn:subProcess>
  <bpmn:subProcess id="dead">
    <bpmn:startEvent id="ds"/>
  </bpmn:subProcess>""").replace(b"</bpmn:definitions>", b'<bpmn:message id="m" name="m"/></bpmn:definitions>')
    warnings = _warnings(("reach.bpmn", model))
    # inside the unreachable sub-process only the sub-process is named; t4 has no flow from the event
    # sub-process's start event; the boundary events, the event sub-process and the link catch are reached
    assert [element for element, message in warnings if "not reachable" in message] == ["dead", "t4"]
    assert not any("reminder" in message for _, message in warnings)  # t1's deadline has a reminder before it


def test_user_task_with_an_assignee_has_no_warning() -> None:
    model = _model("assigned", """
  <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="a" sourceRef="s" targetRef="t"/>
  <bpmn:userTask id="t" camunda:assignee="${initiator}"/><bpmn:sequenceFlow id="b" sourceRef="t" targetRef="e"/>
  <bpmn:endEvent id="e"/>""")
    assert _warnings(("assigned.bpmn", model)) == []
