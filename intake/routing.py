"""Routing by Leitweg-ID (BT-10 buyer reference): which organisational unit and candidate group get an invoice.

The routing table is imported from CSV (`akte einvoice route import`): header `leitweg_id;unit;group`
(`;` or `,` separated, UTF-8 with or without BOM). A Leitweg-ID is `coarse[-fine]-check` with the check
digits of ISO/IEC 7064 MOD 97-10; a row `04011000-*` routes every ID that starts with `04011000-` (the longest
matching prefix wins over shorter ones, an exact ID over any prefix). An import with any problem imports
nothing; problems are reported as `FILE:LINE: message`. An ID without a route goes to the central
accounts-payable unit and group (AKTE_INVOICE_CENTRAL_UNIT / AKTE_INVOICE_CENTRAL_GROUP).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select

from core.clock import Clock
from core.db import UnitOfWork
from core.errors import ValidationFailed
from core.settings import Settings
from intake.models import InvoiceRoute
from intake.views import RouteView

LEITWEG_ID = re.compile(r"^(?P<coarse>[0-9]{2,12})(?:-(?P<fine>[0-9A-Z]{1,30}))?-(?P<check>[0-9]{2})$")
PREFIX = re.compile(r"^[0-9]{2,12}(?:-[0-9A-Z]{1,30})?-\*$")
NAME = re.compile(r"^[^\s\x00-\x1f][^\x00-\x1f]*$")
MAX_PROBLEMS = 50


class RouteProblems(ValidationFailed):
    """Every problem of a routing-table import, each as `SOURCE:LINE: message`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the routing table; nothing was imported: {problems[0]}",
                         {"problems": problems})
        self.problems = problems


@dataclass(frozen=True)
class RouteRow:
    line: int
    leitweg_id: str
    unit: str
    group: str


@dataclass(frozen=True)
class Route:
    """Where an invoice goes: `routed_by` is `route` (exact ID), `prefix` or `central` (no route found)."""

    unit: str
    candidate_group: str
    routed_by: str
    leitweg_id: str | None


@dataclass(frozen=True)
class RouteImport:
    created: int
    updated: int
    removed: int


def normalise(leitweg_id: str | None) -> str | None:
    """An ID as compared: trimmed, upper case, inner blanks removed; None when empty."""
    if leitweg_id is None:
        return None
    value = re.sub(r"\s+", "", leitweg_id).upper()
    return value or None


def check_digits(coarse: str, fine: str | None) -> str:
    """The two check digits of a Leitweg-ID (ISO/IEC 7064 MOD 97-10; letters count A=10 … Z=35)."""
    digits = "".join(str(int(char, 36)) for char in coarse + (fine or ""))
    return f"{98 - int(digits + '00') % 97:02d}"


def leitweg_problem(value: str) -> str | None:
    """Why `value` is not a Leitweg-ID (or prefix route), or None."""
    if PREFIX.match(value):
        return None
    match = LEITWEG_ID.match(value)
    if match is None:
        return (f"{value!r} is not a Leitweg-ID like 04011000-12345-03 "
                "(or a prefix like 04011000-*)")
    expected = check_digits(match["coarse"], match["fine"])
    if match["check"] != expected:
        return f"the check digits of {value} should be {expected}"
    return None


def parse_routes_csv(text: str, source: str = "routing table") -> list[RouteRow]:
    """Rows of a routing CSV; raises RouteProblems naming every malformed line."""
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    if not {"leitweg_id", "unit", "group"} <= set(header):
        raise RouteProblems([f"{source}:1: the header must name the columns leitweg_id, unit and group, "
                             f"found {', '.join(header) or 'nothing'}"])
    reader.fieldnames = header
    rows: list[RouteRow] = []
    problems: list[str] = []
    first_line_of: dict[str, int] = {}
    try:
        for record in reader:
            line = reader.line_num
            if not any((value or "").strip() for value in record.values() if isinstance(value, str)):
                continue  # blank line
            try:
                row = _row(line, record)
            except ValueError as exc:
                problems.append(f"{source}:{line}: {exc}")
                continue
            if row.leitweg_id in first_line_of:
                problems.append(f"{source}:{line}: duplicate Leitweg-ID {row.leitweg_id} "
                                f"(first on line {first_line_of[row.leitweg_id]})")
                continue
            first_line_of[row.leitweg_id] = line
            rows.append(row)
    except csv.Error as exc:
        raise RouteProblems([f"{source}:{reader.line_num}: not readable as CSV: {exc}"]) from None
    if problems:
        raise RouteProblems(problems[:MAX_PROBLEMS])
    if not rows:
        raise RouteProblems([f"{source}:2: the routing table has no rows"])
    return rows


def _text(record: dict[str, str | None], name: str, limit: int) -> str:
    value = record.get(name)
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        raise ValueError(f"{name} is empty")
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")
    if not NAME.match(value):
        raise ValueError(f"{name} {value!r} contains control characters")
    return value


def _row(line: int, record: dict[str, str | None]) -> RouteRow:
    if None in record:  # csv puts surplus fields under the key None
        raise ValueError("more fields than the header names")
    leitweg_id = normalise(_text(record, "leitweg_id", 64)) or ""
    problem = leitweg_problem(leitweg_id)
    if problem:
        raise ValueError(problem)
    unit = _text(record, "unit", 64)
    group = _text(record, "group", 255)
    if "," in group:
        raise ValueError(f"group {group!r} must be one group (no commas)")
    return RouteRow(line, leitweg_id, unit, group)


def import_routes(uow: UnitOfWork, clock: Clock, rows: Iterable[RouteRow], *, replace: bool = False) -> RouteImport:
    """Create or update routes in the caller's transaction; with `replace`, routes not in `rows` are removed."""
    rows = list(rows)
    existing = {route.leitweg_id: route for route in uow.session.scalars(select(InvoiceRoute))}
    now = clock.now()
    created = updated = removed = 0
    for row in rows:
        route = existing.get(row.leitweg_id)
        if route is None:
            uow.session.add(InvoiceRoute(leitweg_id=row.leitweg_id, unit=row.unit, candidate_group=row.group,
                                         updated_at=now))
            created += 1
        elif (route.unit, route.candidate_group) != (row.unit, row.group):
            route.unit, route.candidate_group, route.updated_at = row.unit, row.group, now
            updated += 1
    if replace:
        gone = sorted(set(existing) - {row.leitweg_id for row in rows})
        if gone:
            uow.session.execute(delete(InvoiceRoute).where(InvoiceRoute.leitweg_id.in_(gone)))
        removed = len(gone)
    return RouteImport(created, updated, removed)


def list_routes(uow: UnitOfWork) -> list[RouteView]:
    return [RouteView.of(row) for row in uow.session.scalars(select(InvoiceRoute).order_by(InvoiceRoute.leitweg_id))]


_ROUTES_NAMED = select(InvoiceRoute).where(  # built once: every invoice is routed
    InvoiceRoute.leitweg_id.in_(bindparam("names", expanding=True)))


def resolve_route(uow: UnitOfWork, settings: Settings, leitweg_id: str | None) -> Route:
    """The unit and candidate group for an invoice's Leitweg-ID: exact route, longest prefix, else central."""
    wanted = normalise(leitweg_id)
    if wanted:
        prefixes = [wanted[:end + 1] + "*" for end, char in enumerate(wanted) if char == "-"]
        found = {row.leitweg_id: row for row in uow.session.scalars(  # the exact route and every prefix: one query
            _ROUTES_NAMED, {"names": [wanted, *prefixes]})}
        exact = found.pop(wanted, None)
        if exact is not None:
            return Route(exact.unit, exact.candidate_group, "route", wanted)
        for prefix in sorted(found, key=len, reverse=True):
            return Route(found[prefix].unit, found[prefix].candidate_group, "prefix", wanted)
    return Route(settings.invoice_central_unit, settings.invoice_central_group, "central", wanted)
