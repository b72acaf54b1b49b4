"""The normalised invoice (EN 16931 business terms a caseworker and the payment order need) and the check result.

Plain frozen dataclasses, the same for UBL, CII and ZUGFeRD; `to_json` gives JSON-safe dicts (dates as ISO
strings, amounts as decimal strings) for process data and `akte einvoice check --json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

Severity = Literal["fatal", "error", "warning", "information"]
REJECTING: frozenset[str] = frozenset({"fatal", "error"})
# UNTDID 1001 codes EN 16931 treats as credit notes (BT-3).
CREDIT_NOTE_TYPE_CODES: frozenset[str | None] = frozenset({"81", "83", "261", "262", "296", "308", "381", "396",
                                                          "420", "458", "532"})


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class Party:
    name: str | None = None
    vat_id: str | None = None
    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "vat_id": self.vat_id, "street": self.street, "city": self.city,
                "postcode": self.postcode, "country": self.country}


@dataclass(frozen=True)
class Line:
    id: str | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit_code: str | None = None
    unit_price: Decimal | None = None
    net_amount: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "description": self.description, "quantity": _decimal(self.quantity),
                "unit_code": self.unit_code, "unit_price": _decimal(self.unit_price),
                "net_amount": _decimal(self.net_amount)}


@dataclass(frozen=True)
class VatBreakdown:
    category: str | None = None
    rate: Decimal | None = None
    taxable: Decimal | None = None
    tax: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "rate": _decimal(self.rate), "taxable": _decimal(self.taxable),
                "tax": _decimal(self.tax)}


@dataclass(frozen=True)
class Invoice:
    number: str | None = None  # BT-1
    issue_date: date | None = None  # BT-2
    type_code: str | None = None  # BT-3 (380 invoice, 381 credit note, ...)
    currency: str | None = None  # BT-5
    due_date: date | None = None  # BT-9
    buyer_reference: str | None = None  # BT-10 (Leitweg-ID)
    order_reference: str | None = None  # BT-13
    specification: str | None = None  # BT-24 specification identifier
    seller: Party = field(default_factory=Party)
    buyer: Party = field(default_factory=Party)
    iban: str | None = None  # BT-84
    lines: tuple[Line, ...] = ()
    vat: tuple[VatBreakdown, ...] = ()
    net_total: Decimal | None = None  # BT-106 sum of line net amounts
    tax_exclusive: Decimal | None = None  # BT-109
    tax_inclusive: Decimal | None = None  # BT-112
    payable: Decimal | None = None  # BT-115
    is_credit_note: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "issue_date": _date(self.issue_date),
            "type_code": self.type_code,
            "currency": self.currency,
            "due_date": _date(self.due_date),
            "buyer_reference": self.buyer_reference,
            "order_reference": self.order_reference,
            "specification": self.specification,
            "seller": self.seller.to_json(),
            "buyer": self.buyer.to_json(),
            "iban": self.iban,
            "lines": [line.to_json() for line in self.lines],
            "vat": [row.to_json() for row in self.vat],
            "net_total": _decimal(self.net_total),
            "tax_exclusive": _decimal(self.tax_exclusive),
            "tax_inclusive": _decimal(self.tax_inclusive),
            "payable": _decimal(self.payable),
            "is_credit_note": self.is_credit_note,
        }


@dataclass(frozen=True)
class Finding:
    """One failed rule: its id, severity after the scenario's levels, where (an XPath) and the rule's own text."""

    rule_id: str
    severity: str  # "fatal" | "error" | "warning" | "information"
    location: str | None
    text: str
    rule_set: str  # e.g. "EN16931-UBL", "XRechnung-CII", "akte-arithmetic", "xml"

    @property
    def rejects(self) -> bool:
        return self.severity in REJECTING

    def to_json(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "severity": self.severity, "location": self.location, "text": self.text,
                "rule_set": self.rule_set}


@dataclass(frozen=True)
class CheckResult:
    file: str
    syntax: str  # "UBL-Invoice" | "UBL-CreditNote" | "CII" | "PDF-embedded-CII" | "PDF-paper" | "unknown"
    valid: bool  # no fatal/error finding in any applied layer; False for paper-like PDFs
    rule_sets: list[str]  # applied, in order
    skipped_rule_sets: list[str]  # not applied, each with its reason in parentheses
    errors: list[Finding]  # severity fatal or error
    warnings: list[Finding]  # severity warning or information
    invoice: Invoice | None
    xml: bytes | None  # the e-invoice XML (extracted from the PDF for ZUGFeRD/Factur-X)
    paper_like: bool = False  # a PDF without embedded invoice data: not an e-invoice, not rejected
    rule_set_versions: dict[str, str] = field(default_factory=dict)  # e.g. {"EN16931-CII": "1.3.16"}

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "syntax": self.syntax,
            "valid": self.valid,
            "paper_like": self.paper_like,
            "rule_sets": list(self.rule_sets),
            "rule_set_versions": dict(self.rule_set_versions),
            "skipped_rule_sets": list(self.skipped_rule_sets),
            "errors": [finding.to_json() for finding in self.errors],
            "warnings": [finding.to_json() for finding in self.warnings],
            "invoice": None if self.invoice is None else self.invoice.to_json(),
        }
