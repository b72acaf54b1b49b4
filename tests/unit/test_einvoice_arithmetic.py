"""akte's own arithmetic (rule set akte-arithmetic): each broken sum is found, a consistent invoice passes."""

from __future__ import annotations

import pytest

from intake.einvoice import Checker
from tests.unit.test_einvoice_parse import sample_ubl


def _rules(content: bytes) -> dict[str, str]:
    result = Checker(None).check(content, "r.xml")
    return {f.rule_id: f.severity for f in [*result.errors, *result.warnings] if f.rule_set == "akte-arithmetic"}


def test_a_consistent_invoice_has_no_arithmetic_findings() -> None:
    assert _rules(sample_ubl()) == {}


@pytest.mark.parametrize(
    ("broken", "rule"),
    [
        ({"line_total": "90.00"}, "AKTE-AR-1"),  # BT-106 ≠ Σ BT-131 (and then BT-109 ≠ BT-106)
        ({"tax_inclusive": "120.00", "payable": "120.00"}, "AKTE-AR-3"),  # BT-112 ≠ BT-109 + BT-110
        ({"payable": "100.00"}, "AKTE-AR-4"),  # BT-115 ≠ BT-112 − BT-113 + BT-114
        ({"tax": "18.00", "tax_inclusive": "118.00", "payable": "118.00"}, "AKTE-AR-7"),  # 19 % of 100 ≠ 18
    ],
)
def test_each_inconsistent_total_is_reported(broken: dict[str, str], rule: str) -> None:
    assert rule in _rules(sample_ubl(**broken))


def test_the_total_without_vat_must_follow_from_the_line_sum() -> None:
    # lines of 60.00 (2 × 30.00) add up to BT-106 = 120.00, but BT-109 says 100.00 without allowances (BR-CO-13)
    found = _rules(sample_ubl(line_net="120.00", line_total="120.00"))
    assert found == {"AKTE-AR-2": "error"}


def test_a_wrong_line_net_amount_is_an_error() -> None:
    content = sample_ubl().replace(b'<cbc:PriceAmount currencyID="EUR">25.00</cbc:PriceAmount>',
                                   b'<cbc:PriceAmount currencyID="EUR">26.00</cbc:PriceAmount>', 1)
    result = Checker(None).check(content, "r.xml")
    assert not result.valid
    [finding] = result.errors
    assert finding.rule_id == "AKTE-AR-6" and finding.location == "Position 1"
    assert "52.00" in finding.text and "50.00" in finding.text


def test_a_one_cent_rounding_difference_is_tolerated() -> None:
    assert _rules(sample_ubl(tax_inclusive="119.01", payable="119.01")) == {}
