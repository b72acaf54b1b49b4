"""akte's own arithmetic checks (rule set "akte-arithmetic"), applied to every parsed invoice.

They repeat the sums of the official rules (BR-CO-10, -13, -14, -15, -16) so that an invoice is checked for
consistent totals even without a rules directory, and add the line product (quantity × net price ÷ base
quantity − allowances + charges = line net amount), which EN 16931 itself leaves to the CIUS. A difference
up to one cent is tolerated (rounding); the official rules, where applied, are exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

from intake.einvoice.figures import LineFigures, ParsedInvoice, Totals, total
from intake.einvoice.model import Finding, VatBreakdown

RULE_SET = "akte-arithmetic"
TOLERANCE = Decimal("0.01")
CENT = Decimal("0.01")


def _differs(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) > TOLERANCE


def _finding(rule: str, severity: str, location: str, text: str) -> Finding:
    return Finding(rule_id=rule, severity=severity, location=location, text=text, rule_set=RULE_SET)


def _line_sum(totals: Totals, lines: tuple[LineFigures, ...]) -> Iterator[Finding]:
    main = [line for line in lines if not line.is_sub_line]
    if totals.line_total is None or not main or any(line.net is None for line in main):
        return
    line_sum = total([line.net for line in main])
    if _differs(line_sum, totals.line_total):
        yield _finding("AKTE-AR-1", "error", "BT-106", f"Die Summe der Positions-Nettobeträge (BT-131) ist {line_sum}, "
                       f"die Summe der Nettobeträge (BT-106) aber {totals.line_total} (vgl. BR-CO-10).")


def _tax_exclusive(totals: Totals) -> Iterator[Finding]:
    if totals.line_total is None or totals.tax_exclusive is None:
        return
    expected = totals.line_total - (totals.allowances or 0) + (totals.charges or 0)
    if _differs(expected, totals.tax_exclusive):
        yield _finding("AKTE-AR-2", "error", "BT-109", f"Der Gesamtbetrag ohne Umsatzsteuer (BT-109) ist "
                       f"{totals.tax_exclusive}, BT-106 − Nachlässe (BT-107) + Zuschläge (BT-108) ergibt aber "
                       f"{expected} (vgl. BR-CO-13).")


def _tax_inclusive(totals: Totals) -> Iterator[Finding]:
    if totals.tax_exclusive is None or totals.tax_inclusive is None:
        return
    expected = totals.tax_exclusive + (totals.tax_total or 0)
    if _differs(expected, totals.tax_inclusive):
        yield _finding("AKTE-AR-3", "error", "BT-112", f"Der Gesamtbetrag mit Umsatzsteuer (BT-112) ist "
                       f"{totals.tax_inclusive}, BT-109 + Umsatzsteuer (BT-110) ergibt aber {expected} "
                       f"(vgl. BR-CO-15).")


def _payable(totals: Totals) -> Iterator[Finding]:
    if totals.tax_inclusive is None or totals.payable is None:
        return
    expected = totals.tax_inclusive - (totals.prepaid or 0) + (totals.rounding or 0)
    # XRechnung extension (BR-DEX-09): third-party payments (BT-DEX-002) are added to the amount due.
    with_third_party = expected + (totals.third_party_paid or 0)
    if _differs(expected, totals.payable) and _differs(with_third_party, totals.payable):
        yield _finding("AKTE-AR-4", "error", "BT-115", f"Der fällige Betrag (BT-115) ist {totals.payable}, "
                       f"BT-112 − gezahlter Betrag (BT-113) + Rundung (BT-114) ergibt aber {expected} "
                       f"(vgl. BR-CO-16).")


def _tax_total(totals: Totals, vat: tuple[VatBreakdown, ...]) -> Iterator[Finding]:
    if totals.tax_total is None or not vat or any(row.tax is None for row in vat):
        return
    breakdown = total([row.tax for row in vat])
    if _differs(breakdown, totals.tax_total):
        yield _finding("AKTE-AR-5", "error", "BT-110", f"Die Umsatzsteuer gesamt (BT-110) ist {totals.tax_total}, "
                       f"die Summe der Aufschlüsselung (BT-117) aber {breakdown} (vgl. BR-CO-14).")


def _line_products(lines: tuple[LineFigures, ...]) -> Iterator[Finding]:
    for number, line in enumerate(lines, start=1):
        if line.quantity is None or line.price is None or line.net is None:
            continue
        base = line.base_quantity if line.base_quantity else Decimal(1)
        expected = (line.quantity * line.price / base - line.allowances + line.charges).quantize(CENT, ROUND_HALF_UP)
        if _differs(expected, line.net):
            label = line.line_id or str(number)
            yield _finding("AKTE-AR-6", "error", f"Position {label}", f"Position {label}: Menge {line.quantity} × "
                           f"Nettopreis {line.price} ÷ Basismenge {base} − Nachlässe + Zuschläge ergibt {expected}, "
                           f"der Positions-Nettobetrag (BT-131) ist aber {line.net}.")


def _vat_rates(vat: tuple[VatBreakdown, ...]) -> Iterator[Finding]:
    for row in vat:
        if row.rate is None or row.taxable is None or row.tax is None:
            continue
        expected = (row.taxable * row.rate / 100).quantize(CENT, ROUND_HALF_UP)
        if _differs(expected, row.tax):
            yield _finding("AKTE-AR-7", "warning", f"Umsatzsteuer {row.category or ''} {row.rate} %".strip(),
                           f"Umsatzsteuer {row.category or '?'} {row.rate} %: {row.taxable} × {row.rate} % ergibt "
                           f"{expected}, angegeben ist aber {row.tax} (BT-117).")


def check_arithmetic(parsed: ParsedInvoice) -> list[Finding]:
    totals, invoice = parsed.totals, parsed.invoice
    return [*_line_sum(totals, parsed.lines), *_tax_exclusive(totals), *_tax_inclusive(totals), *_payable(totals),
            *_tax_total(totals, invoice.vat), *_line_products(parsed.lines), *_vat_rates(invoice.vat)]
