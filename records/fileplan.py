"""The file plan (Aktenplan): import from CSV, look up entries.

CSV columns (header required, `,` or `;` separated, UTF-8 with or without BOM): `code`, `title` and
optionally `retention_years`. The parent of `32.10.05` is `32.10`; it must be in the same file (anywhere)
or already in the plan. Existing codes are updated; an import with any problem imports nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import NotFound, ValidationFailed
from records.models import FilePlanEntry

CODE_PATTERN = re.compile(r"^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$")
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class PlanRow:
    line: int
    code: str
    title: str
    retention_years: int | None

    @property
    def parent_code(self) -> str | None:
        return self.code.rsplit(".", 1)[0] if "." in self.code else None


class FilePlanProblems(ValidationFailed):
    """Every problem of an import, each as `SOURCE:LINE: message` (the CLI prints one per line)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the file plan; nothing was imported: {problems[0]}",
                         {"problems": problems})
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def parse_plan_csv(text: str, source: str = "file plan") -> list[PlanRow]:
    """Rows of a file plan CSV; raises FilePlanProblems naming every malformed line."""
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "code" not in header or "title" not in header:
        raise FilePlanProblems([f"{source}:1: the header must name the columns code and title "
                                f"(optional retention_years), found {', '.join(header) or 'nothing'}"])
    reader.fieldnames = header
    rows, problems = [], []
    try:
        for record in reader:
            line = reader.line_num
            try:
                rows.append(_row(line, record))
            except ValueError as exc:
                problems.append(f"{source}:{line}: {exc}")
    except csv.Error as exc:
        raise FilePlanProblems([f"{source}:{reader.line_num}: not readable as CSV: {exc}"]) from None
    problems.extend(_structure_problems(rows, source))
    if problems:
        raise FilePlanProblems(problems[:MAX_PROBLEMS])
    if not rows:
        raise FilePlanProblems([f"{source}:2: the file plan has no entries"])
    return rows


def _row(line: int, record: dict[str, str | None]) -> PlanRow:
    code = (record.get("code") or "").strip()
    title = (record.get("title") or "").strip()
    retention = (record.get("retention_years") or "").strip()
    if not CODE_PATTERN.match(code):
        raise ValueError(f"code {code!r} is not a subject code like 32.10.05")
    if not title:
        raise ValueError(f"code {code} has no title")
    if "\x00" in title:
        raise ValueError(f"the title of {code} contains a NUL character")
    if len(title) > 500:
        raise ValueError(f"the title of {code} is longer than 500 characters")
    if retention and not (retention.isdigit() and int(retention) <= 200):
        raise ValueError(f"retention_years of {code} must be a whole number of years (0-200), not {retention!r}")
    return PlanRow(line, code, title, int(retention) if retention else None)


def _structure_problems(rows: list[PlanRow], source: str) -> list[str]:
    first_line: dict[str, int] = {}
    problems = []
    for row in rows:
        if row.code in first_line:
            problems.append(f"{source}:{row.line}: duplicate code {row.code} (first on line {first_line[row.code]})")
        else:
            first_line[row.code] = row.line
    return problems


def import_plan(uow: UnitOfWork, rows: Iterable[PlanRow], source: str = "file plan") -> ImportResult:
    """Create or update the entries in one transaction (the caller commits); orphans refuse the import."""
    rows = list(rows)
    existing = {entry.code: entry for entry in uow.session.scalars(select(FilePlanEntry))}
    known = set(existing) | {row.code for row in rows}
    orphans = [f"{source}:{row.line}: code {row.code} has no parent {row.parent_code} in the file or the plan"
               for row in rows if row.parent_code is not None and row.parent_code not in known]
    if orphans:
        raise FilePlanProblems(orphans[:MAX_PROBLEMS])
    created = updated = 0
    for row in sorted(rows, key=lambda r: r.code.count(".")):  # parents before children
        entry = existing.get(row.code)
        if entry is None:
            uow.session.add(FilePlanEntry(code=row.code, parent_code=row.parent_code, title=row.title,
                                          retention_years=row.retention_years))
            created += 1
        elif (entry.title, entry.retention_years) != (row.title, row.retention_years):
            entry.title, entry.retention_years = row.title, row.retention_years
            updated += 1
    return ImportResult(created, updated)


def get_entry(uow: UnitOfWork, code: str) -> FilePlanEntry:
    entry = uow.session.get(FilePlanEntry, code)
    if entry is None:
        raise NotFound(f"file plan code {code!r} does not exist")
    return entry


def list_entries(uow: UnitOfWork) -> list[FilePlanEntry]:
    return list(uow.session.scalars(select(FilePlanEntry).order_by(FilePlanEntry.code)))
