"""What the parsers read beyond the normalised `Invoice`: the figures akte's own arithmetic checks need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from intake.einvoice.model import Invoice


@dataclass(frozen=True)
class LineFigures:
    line_id: str | None
    quantity: Decimal | None  # BT-129
    price: Decimal | None  # BT-146 item net price
    base_quantity: Decimal | None  # BT-149
    allowances: Decimal  # sum of BT-136
    charges: Decimal  # sum of BT-141
    net: Decimal | None  # BT-131
    is_sub_line: bool = False  # an XRechnung-extension sub invoice line (not counted in BT-106)


@dataclass(frozen=True)
class Totals:
    line_total: Decimal | None = None  # BT-106
    allowances: Decimal | None = None  # BT-107
    charges: Decimal | None = None  # BT-108
    tax_exclusive: Decimal | None = None  # BT-109
    tax_total: Decimal | None = None  # BT-110 (in invoice currency)
    tax_inclusive: Decimal | None = None  # BT-112
    prepaid: Decimal | None = None  # BT-113
    rounding: Decimal | None = None  # BT-114
    payable: Decimal | None = None  # BT-115
    third_party_paid: Decimal | None = None  # XRechnung extension BT-DEX-002 (UBL PrepaidPayment)


@dataclass(frozen=True)
class ParsedInvoice:
    invoice: Invoice
    totals: Totals
    lines: tuple[LineFigures, ...]


def clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def text(element: etree._Element | None, path: str, ns: dict[str, str]) -> str | None:
    if element is None:
        return None
    return clean(element.findtext(path, namespaces=ns))


def decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def amount(element: etree._Element | None, path: str, ns: dict[str, str]) -> Decimal | None:
    return decimal(text(element, path, ns))


def total(values: list[Decimal | None]) -> Decimal:
    return sum((value for value in values if value is not None), Decimal(0))


def iso_date(value: str | None) -> date | None:
    """YYYY-MM-DD (UBL) or YYYYMMDD (CII format 102); None for anything else."""
    value = clean(value)
    if value is None:
        return None
    for layout in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(value[:10] if "-" in value else value, layout).date()
        except ValueError:
            continue
    return None
