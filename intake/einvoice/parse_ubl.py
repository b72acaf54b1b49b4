"""UBL 2.1 Invoice and CreditNote → the normalised invoice (EN 16931 UBL syntax binding)."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from intake.einvoice.figures import LineFigures, ParsedInvoice, Totals, amount, iso_date, text, total
from intake.einvoice.model import CREDIT_NOTE_TYPE_CODES, Invoice, Line, Party, VatBreakdown
from intake.einvoice.syntax import CAC, CBC, UBL_CREDIT_NOTE

NS = {"cac": CAC, "cbc": CBC}


def _party(party: etree._Element | None) -> Party:
    if party is None:
        return Party()
    vat_id = None
    for scheme in party.iterfind("cac:PartyTaxScheme", NS):
        if text(scheme, "cac:TaxScheme/cbc:ID", NS) == "VAT":
            vat_id = text(scheme, "cbc:CompanyID", NS)
            break
    address = party.find("cac:PostalAddress", NS)
    return Party(
        name=text(party, "cac:PartyLegalEntity/cbc:RegistrationName", NS) or text(party, "cac:PartyName/cbc:Name", NS),
        vat_id=vat_id,
        street=text(address, "cbc:StreetName", NS),
        city=text(address, "cbc:CityName", NS),
        postcode=text(address, "cbc:PostalZone", NS),
        country=text(address, "cac:Country/cbc:IdentificationCode", NS),
    )


def _allowance_charge_sums(element: etree._Element) -> tuple[Decimal, Decimal]:
    allowances: list[Decimal | None] = []
    charges: list[Decimal | None] = []
    for entry in element.iterfind("cac:AllowanceCharge", NS):
        value = amount(entry, "cbc:Amount", NS)
        (charges if text(entry, "cbc:ChargeIndicator", NS) == "true" else allowances).append(value)
    return total(allowances), total(charges)


def _line(element: etree._Element, quantity_tag: str, sub: bool) -> tuple[Line, LineFigures]:
    quantity = element.find(f"cbc:{quantity_tag}", NS)
    price = amount(element, "cac:Price/cbc:PriceAmount", NS)
    line = Line(
        id=text(element, "cbc:ID", NS),
        description=text(element, "cac:Item/cbc:Name", NS) or text(element, "cac:Item/cbc:Description", NS),
        quantity=amount(element, f"cbc:{quantity_tag}", NS),
        unit_code=None if quantity is None else quantity.get("unitCode"),
        unit_price=price,
        net_amount=amount(element, "cbc:LineExtensionAmount", NS),
    )
    allowances, charges = _allowance_charge_sums(element)
    figures = LineFigures(line.id, line.quantity, price, amount(element, "cac:Price/cbc:BaseQuantity", NS),
                          allowances, charges, line.net_amount, is_sub_line=sub)
    return line, figures


def _lines(root: etree._Element, credit_note: bool) -> tuple[list[Line], list[LineFigures]]:
    tag, quantity_tag = ("CreditNoteLine", "CreditedQuantity") if credit_note else ("InvoiceLine", "InvoicedQuantity")
    lines, figures = [], []
    for element in root.iterfind(f"cac:{tag}", NS):
        line, line_figures = _line(element, quantity_tag, sub=False)
        lines.append(line)
        figures.append(line_figures)
        for sub_line in element.iter(f"{{{CAC}}}SubInvoiceLine"):
            figures.append(_line(sub_line, "InvoicedQuantity", sub=True)[1])
    return lines, figures


def _vat(root: etree._Element) -> list[VatBreakdown]:
    rows = []
    for subtotal in root.iterfind("cac:TaxTotal/cac:TaxSubtotal", NS):
        rows.append(VatBreakdown(
            category=text(subtotal, "cac:TaxCategory/cbc:ID", NS),
            rate=amount(subtotal, "cac:TaxCategory/cbc:Percent", NS),
            taxable=amount(subtotal, "cbc:TaxableAmount", NS),
            tax=amount(subtotal, "cbc:TaxAmount", NS),
        ))
    return rows


def _tax_total(root: etree._Element, currency: str | None) -> Decimal | None:
    """BT-110: the TaxTotal/TaxAmount in the invoice currency (a second one may be in the VAT currency)."""
    amounts = root.findall("cac:TaxTotal/cbc:TaxAmount", NS)
    for element in amounts:
        if currency is None or element.get("currencyID") in (None, currency):
            return amount(element, ".", NS)
    return None


def _totals(root: etree._Element, currency: str | None) -> Totals:
    monetary = root.find("cac:LegalMonetaryTotal", NS)
    third_party = root.findall("cac:PrepaidPayment/cbc:PaidAmount", NS)
    return Totals(
        line_total=amount(monetary, "cbc:LineExtensionAmount", NS),
        allowances=amount(monetary, "cbc:AllowanceTotalAmount", NS),
        charges=amount(monetary, "cbc:ChargeTotalAmount", NS),
        tax_exclusive=amount(monetary, "cbc:TaxExclusiveAmount", NS),
        tax_total=_tax_total(root, currency),
        tax_inclusive=amount(monetary, "cbc:TaxInclusiveAmount", NS),
        prepaid=amount(monetary, "cbc:PrepaidAmount", NS),
        rounding=amount(monetary, "cbc:PayableRoundingAmount", NS),
        payable=amount(monetary, "cbc:PayableAmount", NS),
        third_party_paid=total([amount(e, ".", NS) for e in third_party]) if third_party else None,
    )


def parse_ubl(root: etree._Element) -> ParsedInvoice:
    credit_note = etree.QName(root).namespace == UBL_CREDIT_NOTE
    currency = text(root, "cbc:DocumentCurrencyCode", NS)
    type_code = text(root, "cbc:CreditNoteTypeCode" if credit_note else "cbc:InvoiceTypeCode", NS)
    lines, line_figures = _lines(root, credit_note)
    totals = _totals(root, currency)
    invoice = Invoice(
        number=text(root, "cbc:ID", NS),
        issue_date=iso_date(text(root, "cbc:IssueDate", NS)),
        type_code=type_code,
        currency=currency,
        due_date=iso_date(text(root, "cbc:DueDate", NS) or text(root, "cac:PaymentMeans/cbc:PaymentDueDate", NS)),
        buyer_reference=text(root, "cbc:BuyerReference", NS),
        order_reference=text(root, "cac:OrderReference/cbc:ID", NS),
        specification=text(root, "cbc:CustomizationID", NS),
        seller=_party(root.find("cac:AccountingSupplierParty/cac:Party", NS)),
        buyer=_party(root.find("cac:AccountingCustomerParty/cac:Party", NS)),
        iban=text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID", NS),
        lines=tuple(lines),
        vat=tuple(_vat(root)),
        net_total=totals.line_total,
        tax_exclusive=totals.tax_exclusive,
        tax_inclusive=totals.tax_inclusive,
        payable=totals.payable,
        is_credit_note=credit_note or type_code in CREDIT_NOTE_TYPE_CODES,
    )
    return ParsedInvoice(invoice, totals, tuple(line_figures))
