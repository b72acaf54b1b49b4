"""Estimates for large results: a search that matches very many entries is not counted row by row.

Counting, faceting and ranking every match of a common word costs time in proportion to the matches (seconds
at a million documents), while a caseworker reads the first page. So the database backends first count the
matches inside a random sample of the index's blocks (a few thousand rows; the same sample for the same
query, so pages agree). When the sample promises more matches than `Estimation.threshold` (at least 1,000,
growing with the index), totals and facets are the sample's counts scaled up and rounded to two significant
digits (shown as "about"), and the pages run newest first — an order an index walks without reading every
match. Smaller results are counted exactly and ranked by relevance. The permission scope is part of the
sampled condition too, so an estimate never counts what the user may not see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Estimation:
    above: int = 1_000  # results estimated to be larger are estimated, and run newest first (at least)
    sample_rows: int = 10_000  # about how many rows the sample reads
    min_rows: int = 100_000  # an index with fewer rows is always counted exactly (it is cheap)
    balance: int = 2  # see threshold

    def sample_percent(self, rows: int) -> float | None:
        """The share of an index of `rows` rows to sample, or None when it is small enough to count."""
        if rows < max(self.min_rows, 1):
            return None
        return min(100.0, 100.0 * self.sample_rows / rows)

    def threshold(self, rows: int) -> int:
        """Matches above which a result of an index of `rows` rows runs newest first. Ranking reads every
        candidate entry (~40 µs a match measured at a million rows: the entries holding the words in any unit
        are read to find those in the user's); the newest-first walk reads ~25 * rows / M index rows (~3 µs
        each) to fill a page. The two are even at M = sqrt(25 * 3/40 * rows) ~ sqrt(balance * rows)."""
        return max(self.above, math.isqrt(self.balance * rows))


def round_estimate(value: float) -> int:
    """Two significant digits: an estimate should not look more precise than it is (203,417 → 200,000)."""
    if value < 100:
        return round(value)
    magnitude = 10 ** (int(math.log10(value)) - 1)
    return int(round(value / magnitude) * magnitude)


def scaled(count: int, percent: float) -> int:
    """A count in a sample of `percent` % of the index, as an estimate for the whole index."""
    return round_estimate(count * 100.0 / percent)
