"""Problems found in uploaded model files (BPMN, DMN, JSON forms) and the error that lists them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from core.errors import ValidationFailed


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    element_id: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 0}: {self.element_id}: {self.message}"


class ModelRejected(ValidationFailed):
    """A deployment was refused; `problems` lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun} in model files", [dataclasses.asdict(p) for p in problems])
        self.problems = list(problems)

    def __str__(self) -> str:
        return "\n".join([self.message, *(str(p) for p in self.problems)])


def element_line(element: etree._Element | None) -> int | None:
    """Source line of an element; elements akte inserted itself report their parent's line."""
    while element is not None:
        line = element.sourceline
        if line:
            return int(line)
        element = element.getparent()
    return None


def find_by_id(root: etree._Element, element_id: str) -> etree._Element | None:
    if not element_id or element_id == "-" or "'" in element_id:
        return None
    found = root.xpath(f"//*[@id='{element_id}']")
    return found[0] if isinstance(found, list) and found else None


class ProblemList:
    """Collects problems of one deployment; `at` builds one from an element."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(
        self, file: str, line: int | None, element_id: str, message: str, severity: str = "error"
    ) -> None:
        problem = Problem(file, line, element_id or "-", message, severity)
        if problem not in self.items:
            self.items.append(problem)

    def at(self, file: str, element: etree._Element, message: str, severity: str = "error") -> None:
        """Problem located at `element` (its own id, else the nearest ancestor's id)."""
        self.add(file, element_line(element), nearest_id(element), message, severity)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def errors_in(self, file: str) -> bool:
        return any(p.file == file for p in self.errors)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ModelRejected(self.errors)


def nearest_id(element: etree._Element | None) -> str:
    while element is not None:
        value = element.get("id")
        if value:
            return str(value)
        element = element.getparent()
    return "-"
