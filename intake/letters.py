"""The rejection notice for a supplier (letter or e-mail text, German), naming every rule the invoice failed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from intake.einvoice import Finding, Invoice
from records.files import LOCAL_TIMEZONE

MAX_LISTED = 50
CHANNEL_NAMES = {"mail": "per E-Mail", "api": "über das Rechnungseingangsportal", "dropfolder": "über den Dateieingang",
                 "upload": "durch Hochladen", "cli": "durch Einlesen"}


@dataclass(frozen=True)
class Notice:
    """A generated notice: who it is for, its subject and the whole text (ready to print or send)."""

    recipient: str
    subject: str
    text: str


@dataclass(frozen=True)
class Receipt:
    """What is known about how the rejected file arrived."""

    filename: str
    received_at: datetime
    channel: str
    sender: str | None = None


def _day(value: date | datetime | str | None) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TIMEZONE).strftime("%d.%m.%Y")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return value or None


def _amount(value: Decimal | None, currency: str | None) -> str | None:
    if value is None:
        return None
    whole, _, cents = f"{value:,.2f}".partition(".")
    return f"{whole.replace(',', '.')},{cents} {currency or ''}".strip()


def _recipient(invoice: Invoice | None, receipt: Receipt) -> str:
    lines: list[str] = []
    seller = invoice.seller if invoice is not None else None
    if seller is not None and seller.name:
        lines.append(seller.name)
        if seller.street:
            lines.append(seller.street)
        place = " ".join(part for part in (seller.postcode, seller.city) if part)
        if place:
            lines.append(place)
        if seller.country and seller.country.upper() != "DE":
            lines.append(seller.country.upper())
    if receipt.sender:
        lines.append(f"E-Mail: {receipt.sender}")
    return "\n".join(lines) or "An den Absender der Rechnung"


def _finding_lines(findings: Sequence[Finding]) -> list[str]:
    lines: list[str] = []
    for number, finding in enumerate(findings[:MAX_LISTED], start=1):
        lines.append(f"  {number}. [{finding.rule_id}] {' '.join(finding.text.split())}")
        if finding.location:
            lines.append(f"     Fundstelle: {finding.location}")
    if len(findings) > MAX_LISTED:
        lines.append(f"  … und {len(findings) - MAX_LISTED} weitere Fehler (siehe Prüfbericht).")
    return lines


def rejection_notice(invoice: Invoice | None, errors: Sequence[Finding], receipt: Receipt, *,
                     reason: str | None = None, rule_sets: Sequence[str] = ()) -> Notice:
    """The notice for an invoice that failed the rules (`errors`) or could not be read at all (`reason`)."""
    how = CHANNEL_NAMES.get(receipt.channel, "")
    arrived = f"eingegangen am {_day(receipt.received_at)} {how}".strip()
    if invoice is not None and invoice.number:
        subject = f"Zurückweisung Ihrer elektronischen Rechnung Nr. {invoice.number}"
        facts = [f"Nr. {invoice.number}"]
        if _day(invoice.issue_date):
            facts.append(f"vom {_day(invoice.issue_date)}")
        if _amount(invoice.payable, invoice.currency):
            facts.append(f"über {_amount(invoice.payable, invoice.currency)}")
        opening = (f"Ihre Rechnung {' '.join(facts)} (Datei „{receipt.filename}“, {arrived}) können wir nicht "
                   "annehmen.")
    else:
        subject = f"Zurückweisung Ihrer Datei „{receipt.filename}“"
        opening = (f"Die Datei „{receipt.filename}“ ({arrived}) können wir nicht als elektronische Rechnung "
                   "annehmen.")
    body = [_recipient(invoice, receipt), "", subject, "", "Sehr geehrte Damen und Herren,", "", opening]
    if errors:
        rules = ", ".join(rule_sets) if rule_sets else "EN 16931"
        body += [f"Sie erfüllt die verbindlichen Regeln für elektronische Rechnungen nicht ({rules}). "
                 "Bei der Prüfung wurden folgende Fehler festgestellt:", "", *_finding_lines(errors)]
    if reason:
        body += ["", f"Grund: {' '.join(reason.split())}"]
    body += ["", "Bitte stellen Sie uns eine berichtigte elektronische Rechnung (XRechnung oder ZUGFeRD/Factur-X "
             "nach EN 16931) aus und übermitteln Sie sie erneut. Diese Rechnung wird nicht bearbeitet.", "",
             "Mit freundlichen Grüßen", "Rechnungseingang", ""]
    return Notice(recipient=_recipient(invoice, receipt), subject=subject, text="\n".join(body))
