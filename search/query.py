"""The search query language, parsed once into a `Query` every backend understands.

    bauantrag müller            words, all must match (parts of compound words match too)
    "alte führerschein"         an exact phrase
    -entwurf   -"erste fassung" exclusions
    bau*                        a prefix
    az:32.10.05-2026/00017      field filters: az (reference number, `*` for a prefix), type, procedure,
    type:invoice status:open    status, kind, year (2026, 2024..2026, 2024..), date (2026-01-01..2026-03-31,
                                ..2026-03-31)

Unbalanced quotes close at the end of the query; characters with no meaning are ignored. A query longer
than MAX_LENGTH or with more than MAX_TERMS terms is refused with a clear error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from core.errors import ValidationFailed

MAX_LENGTH = 500
MAX_TERMS = 16
FIELDS = ("az", "type", "procedure", "status", "kind", "year", "date")
TOKEN = re.compile(r'(-?)(?:(\w+):)?(?:"([^"]*)"?|(\S+))', re.UNICODE)
T = TypeVar("T", int, date)
WORD = re.compile(r"[\w][\w./-]*[\w]|[\w]", re.UNICODE)


@dataclass(frozen=True)
class Term:
    text: str  # lower case
    phrase: bool = False
    prefix: bool = False
    negated: bool = False


@dataclass(frozen=True)
class Filters:
    reference: str | None = None  # exact, or a prefix when it ends with *
    types: tuple[str, ...] = ()
    procedures: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    dates: tuple[date, date] | None = None


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...] = ()
    filters: Filters = field(default_factory=Filters)
    raw: str = ""

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if not term.negated)

    @property
    def references(self) -> tuple[str, ...]:
        """Positive terms that look like reference numbers (`32.10.05-2026/00017`): hits with exactly that
        number rank first."""
        return tuple(term.text for term in self.positive if "/" in term.text)

    @property
    def negative(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if term.negated)


def _range(value: str, name: str, parse: Callable[[str], T], example: str, bounds: tuple[str, str]) -> tuple[T, T]:
    """`a..b`, `a` (just a), `a..` (from a on) or `..b` (up to b); `bounds` stand in for the open ends."""
    low, dots, high = value.partition("..")
    if not dots:
        high = low
    try:
        first, last = parse(low or bounds[0]), parse(high or bounds[1])
    except ValueError:
        raise ValidationFailed(f"{name}:{value} is not a valid {name} or range (e.g. {name}:{example})",
                               {"q": f"invalid {name}"}) from None
    return (first, last) if first <= last else (last, first)


def _words(text: str) -> list[str]:
    return [word.lower() for word in WORD.findall(text)]


def parse_query(raw: str) -> Query:
    """Parse user input; raises ValidationFailed (field `q`) for what cannot be searched."""
    if len(raw) > MAX_LENGTH:
        raise ValidationFailed(f"the search is longer than {MAX_LENGTH} characters", {"q": "too long"})
    terms: list[Term] = []
    found: dict[str, list[str]] = {name: [] for name in FIELDS}
    for match in TOKEN.finditer(raw.replace("\x00", " ")):
        negated, name = bool(match.group(1)), (match.group(2) or "").lower()
        quoted, bare = match.group(3), match.group(4)
        value = quoted if quoted is not None else bare or ""
        if name in FIELDS:
            if negated:
                raise ValidationFailed(f"filters cannot be negated (-{name}:…); search without it",
                                       {"q": "negated filter"})
            if value.strip():
                found[name].append(value.strip())
            continue
        if name:  # an unknown "field:" is just text
            value = f"{name}:{value}"
        if quoted is not None:
            words = _words(value)
            if words:
                terms.append(Term(" ".join(words), phrase=len(words) > 1, negated=negated))
            continue
        prefix = value.endswith("*")
        words = _words(value)
        for index, word in enumerate(words):
            terms.append(Term(word, prefix=prefix and index == len(words) - 1, negated=negated))
    if len(terms) > MAX_TERMS:
        raise ValidationFailed(f"at most {MAX_TERMS} search terms", {"q": "too many terms"})
    return Query(tuple(terms), _filters(found), raw)


def _filters(found: dict[str, list[str]]) -> Filters:
    years = _range(found["year"][-1], "year", int, "2024..2026", ("1", "9999")) if found["year"] else None
    if years is not None and not (years[0] >= 1 and years[1] <= 9999):
        raise ValidationFailed("year must be between 1 and 9999", {"q": "invalid year"})
    dates = (_range(found["date"][-1], "date", date.fromisoformat, "2026-01-01..2026-03-31",
                    ("0001-01-01", "9999-12-31")) if found["date"] else None)
    return Filters(
        reference=found["az"][-1] if found["az"] else None,
        types=tuple(v.lower() for v in found["type"]), procedures=tuple(found["procedure"]),
        statuses=tuple(v.lower() for v in found["status"]), kinds=tuple(v.lower() for v in found["kind"]),
        years=years, dates=dates,
    )
