"""The demo cases of every shipped procedure (one module per procedure)."""

from __future__ import annotations

from web.demo.runner import DemoCase
from web.demo.scenarios import anfrage, fuehrerschein, gewerbe, rechnung


def all_cases() -> list[DemoCase]:
    return [*anfrage.cases(), *fuehrerschein.cases(), *gewerbe.cases(), *rechnung.cases()]
