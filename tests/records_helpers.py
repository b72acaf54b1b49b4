"""Builders for e-file tests: a small file plan, principals, files, cases and uploads."""

from __future__ import annotations

import io
import uuid

from core.bootstrap import Services
from records.access import Confidentiality, Principal
from records.cases import create_case
from records.documents import Upload, add_document
from records.fileplan import import_plan, parse_plan_csv
from records.files import NewFile, create_file
from records.views import CaseView, DocumentView, FileView

PLAN_CSV = """code;title;retention_years
32;Ordnung;
32.10;Straßenverkehr;
32.10.05;Fahrerlaubnisse;10
63;Bauordnung;30
63.01;Baugenehmigungen;30
"""

ADMIN = Principal.system("test-admin")
CLERK_A = Principal("clerk-a", frozenset({"unit-a"}), Confidentiality.INTERNAL)
CLERK_B = Principal("clerk-b", frozenset({"unit-b"}), Confidentiality.CONFIDENTIAL)


def load_plan(services: Services) -> None:
    with services.db.unit_of_work() as uow:
        import_plan(uow, parse_plan_csv(PLAN_CSV, "plan.csv"))
        uow.commit()


def new_file(services: Services, *, unit: str = "unit-a", confidentiality: str = "internal",
             plan_code: str = "32.10.05", principal: Principal = ADMIN) -> FileView:
    with services.db.unit_of_work() as uow:
        view = create_file(uow, services.records.clock, principal,
                           NewFile(plan_code, f"Akte {uuid.uuid4().hex[:6]}", unit, confidentiality))
        uow.commit()
    return view


def new_case(services: Services, file: FileView, principal: Principal = ADMIN) -> CaseView:
    with services.db.unit_of_work() as uow:
        view = create_case(uow, services.records, principal, file.id, title="Umtausch",
                           applicant={"kind": "person", "name": "Erika Mustermann"})
        uow.commit()
    return view


def upload(content: bytes, filename: str, declared: str | None = None) -> Upload:
    return Upload(io.BytesIO(content), filename, declared)


def add(services: Services, case: CaseView, content: bytes, filename: str, principal: Principal = ADMIN,
        declared: str | None = None) -> DocumentView:
    with services.db.unit_of_work() as uow:
        view = add_document(uow, services.records, principal, upload(content, filename, declared), case_id=case.id)
        uow.commit()
    return view
