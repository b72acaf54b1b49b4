"""How large results are sampled and their estimates rounded (search/estimate.py)."""

from __future__ import annotations

import pytest

from search.estimate import Estimation, round_estimate, scaled


@pytest.mark.parametrize(("value", "rounded"), [(0, 0), (99.4, 99), (1234, 1200), (203_417, 200_000),
                                                 (9_960, 10_000)])
def test_estimates_keep_two_significant_digits(value: float, rounded: int) -> None:
    assert round_estimate(value) == rounded


def test_small_indexes_are_counted_and_large_ones_sampled() -> None:
    estimation = Estimation(sample_rows=10_000, min_rows=100_000)
    assert estimation.sample_percent(99_999) is None
    assert estimation.sample_percent(1_000_000) == pytest.approx(1.0)
    assert Estimation(sample_rows=10**9, min_rows=0).sample_percent(50) == 100.0
    assert scaled(2_033, 1.0) == 200_000


def test_the_threshold_grows_with_the_index_so_neither_order_reads_too_much() -> None:
    estimation = Estimation(above=1_000, balance=2)
    assert estimation.threshold(100_000) == 1_000
    assert estimation.threshold(1_000_000) == 1_414
    assert estimation.threshold(100_000_000) == 14_142
