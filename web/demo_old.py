"""Demo office for a first `make run`: documented users and a few open cases of the shipped procedure.

Idempotent: does nothing when any user exists. The passwords are printed in the README; change them (or
do not load the demo) on a real installation.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from accounts.models import UserAccount
from accounts.users import NewUser, create_user
from core.bootstrap import Services
from engine.deploy import procedures
from records.access import Principal
from records.fileplan import import_plan, parse_plan_csv
from web.casestart import start_case

DEMO_PASSWORD = "akte-demo-2026"  # noqa: S105  (documented in the README; demo only)
DEMO_PLAN = ("code;title;retention_years\n01;Allgemeine Verwaltung;\n01.10;Bürgeranfragen;5\n"
             "20;Finanzen;\n20.30;Rechnungseingang;10\n")  # 20.30: AKTE_INVOICE_PLAN_CODE's default


@dataclass(frozen=True)
class DemoUser:
    login: str
    name: str
    roles: tuple[str, ...]
    groups: tuple[str, ...]


DEMO_USERS = (
    DemoUser("admin", "Ada Admin", ("admin",), ()),
    DemoUser("bella", "Bella Bürgerbüro", ("caseworker",), ("buergerbuero",)),
    DemoUser("fritz", "Fritz Fachamt", ("caseworker",), ("fachamt",)),
    DemoUser("kira", "Kira Kreditoren", ("caseworker",), ("kreditoren",)),
    DemoUser("svenja", "Svenja Sachgebietsleitung", ("caseworker", "supervisor"), ("buergerbuero", "fachamt")),
)
DEMO_REQUESTS = (
    ("Erika Mustermann", "Anfrage zu Öffnungszeiten des Bürgerbüros"),
    ("Max Müller", "Frage zum Sperrmüll in der Rheinstraße"),
    ("Ayşe Yılmaz", "Bitte um Rückruf wegen Anwohnerparkausweis"),
)


def load_demo(services: Services) -> int:
    """Create the demo users and cases unless users exist; returns the number of users created."""
    with services.db.unit_of_work() as uow:
        if uow.session.scalar(select(func.count()).select_from(UserAccount)):
            return 0
        for user in DEMO_USERS:
            units = ("21",) if "kreditoren" in user.groups else ("10",)  # 21: AKTE_INVOICE_CENTRAL_UNIT's default
            create_user(uow, services.clock, NewUser(login=user.login, display_name=user.name, roles=user.roles,
                                                     units=units, groups=user.groups, password=DEMO_PASSWORD,
                                                     clearance="confidential"))
        import_plan(uow, parse_plan_csv(DEMO_PLAN, "demo-plan.csv"))
        deployed = {key for key, _name, _fields in procedures(uow)}
        clerk = Principal("bella", frozenset({"10"}))
        for applicant, title in DEMO_REQUESTS:
            start_case(uow, services, clerk, title=title, applicant={"kind": "person", "name": applicant},
                       file={"plan_code": "01.10", "title": applicant, "owning_unit": "10"},
                       process_key="allgemeine_anfrage" if "allgemeine_anfrage" in deployed else None)
        uow.commit()
    return len(DEMO_USERS)
