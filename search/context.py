"""What the search services need, wired once in core.bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

from records.context import RecordsContext
from search.extract import ExtractionLimits
from search.ports import SearchIndex


@dataclass(frozen=True)
class SearchContext:
    index: SearchIndex
    records: RecordsContext
    limits: ExtractionLimits
    max_extraction_attempts: int = 3
