"""The demo office's people, file plan and Leitweg-ID routes."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "akte-demo-2026"  # noqa: S105  (documented in the README; demo only)
DEMO_PLAN = """code;title;retention_years
01;Allgemeine Verwaltung;
01.10;Bürgeranfragen;5
20;Finanzen;
20.30;Rechnungseingang;10
32;Ordnungsangelegenheiten;
32.20;Gewerbeangelegenheiten;10
36;Straßenverkehr;
36.30;Fahrerlaubnisse;10
"""
DEMO_ROUTES = """leitweg_id;unit;group
05114000-3212-13;32;gewerbeamt
05114000-3630-20;36;fuehrerscheinstelle
05114000-2101-48;21;kreditoren
"""  # Krefeld's municipality key 05114000; the fine part names the office, the last two digits check it


@dataclass(frozen=True)
class DemoUser:
    login: str
    name: str
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    units: tuple[str, ...]


DEMO_USERS = (
    DemoUser("admin", "Ada Admin", ("admin",), (), ("10", "20", "21", "32", "36")),
    DemoUser("bella", "Bella Bürgerbüro", ("caseworker",), ("buergerbuero",), ("10", "32", "36")),
    DemoUser("fritz", "Fritz Fachamt", ("caseworker",), ("fachamt",), ("10",)),
    DemoUser("lena", "Lena Fahrerlaubnis", ("caseworker",), ("fuehrerscheinstelle",), ("36",)),
    DemoUser("gerd", "Gerd Gewerbe", ("caseworker",), ("gewerbeamt",), ("32",)),
    DemoUser("kira", "Kira Kreditoren", ("caseworker",), ("kreditoren",), ("21",)),
    DemoUser("anton", "Anton Abteilungsleitung", ("caseworker",), ("abteilungsleitung", "kreditoren"), ("20", "21")),
    DemoUser("kai", "Kai Kämmerei", ("caseworker",), ("kaemmerei",), ("20", "21")),
    DemoUser("dora", "Dora Designerin", ("designer",), (), ()),
    DemoUser("svenja", "Svenja Sachgebietsleitung", ("caseworker", "supervisor"),
             ("buergerbuero", "fachamt", "fuehrerscheinstelle", "gewerbeamt"), ("10", "32", "36")),
)


def demo_user(login: str) -> DemoUser:
    return next(user for user in DEMO_USERS if user.login == login)
