"""UN/CEFACT CII D16B (XRechnung CII, ZUGFeRD 2.x, Factur-X) and ZUGFeRD 1.0 → the normalised invoice.

The two differ in namespaces and in the names of a few containers; one reader serves both through a table
of those names (`Dialect`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from intake.einvoice.figures import LineFigures, ParsedInvoice, Totals, amount, iso_date, text, total
from intake.einvoice.model import CREDIT_NOTE_TYPE_CODES, Invoice, Line, Party, VatBreakdown
from intake.einvoice.syntax import CII_RAM, CII_RSM, CII_UDT, ZF1_RAM, ZF1_RSM, ZF1_UDT


@dataclass(frozen=True)
class Dialect:
    ns: dict[str, str]
    context: str
    header: str
    transaction: str
    agreement: str
    delivery: str
    settlement: str
    summation: str
    line_agreement: str
    line_delivery: str
    line_settlement: str
    line_summation: str
    rate: str
    order_id: str


D16B = Dialect(
    ns={"rsm": CII_RSM, "ram": CII_RAM, "udt": CII_UDT},
    context="rsm:ExchangedDocumentContext", header="rsm:ExchangedDocument",
    transaction="rsm:SupplyChainTradeTransaction", agreement="ram:ApplicableHeaderTradeAgreement",
    delivery="ram:ApplicableHeaderTradeDelivery", settlement="ram:ApplicableHeaderTradeSettlement",
    summation="ram:SpecifiedTradeSettlementHeaderMonetarySummation",
    line_agreement="ram:SpecifiedLineTradeAgreement", line_delivery="ram:SpecifiedLineTradeDelivery",
    line_settlement="ram:SpecifiedLineTradeSettlement",
    line_summation="ram:SpecifiedTradeSettlementLineMonetarySummation",
    rate="ram:RateApplicablePercent", order_id="ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
)
ZUGFERD1 = Dialect(
    ns={"rsm": ZF1_RSM, "ram": ZF1_RAM, "udt": ZF1_UDT},
    context="rsm:SpecifiedExchangedDocumentContext", header="rsm:HeaderExchangedDocument",
    transaction="rsm:SpecifiedSupplyChainTradeTransaction", agreement="ram:ApplicableSupplyChainTradeAgreement",
    delivery="ram:ApplicableSupplyChainTradeDelivery", settlement="ram:ApplicableSupplyChainTradeSettlement",
    summation="ram:SpecifiedTradeSettlementMonetarySummation",
    line_agreement="ram:SpecifiedSupplyChainTradeAgreement", line_delivery="ram:SpecifiedSupplyChainTradeDelivery",
    line_settlement="ram:SpecifiedSupplyChainTradeSettlement",
    line_summation="ram:SpecifiedTradeSettlementMonetarySummation",
    rate="ram:ApplicablePercent", order_id="ram:BuyerOrderReferencedDocument/ram:ID",
)


def _party(party: etree._Element | None, d: Dialect) -> Party:
    if party is None:
        return Party()
    vat_id = next((text(r, ".", d.ns) for r in party.iterfind("ram:SpecifiedTaxRegistration/ram:ID", d.ns)
                   if r.get("schemeID") == "VA"), None)
    address = party.find("ram:PostalTradeAddress", d.ns)
    return Party(name=text(party, "ram:Name", d.ns), vat_id=vat_id, street=text(address, "ram:LineOne", d.ns),
                 city=text(address, "ram:CityName", d.ns), postcode=text(address, "ram:PostcodeCode", d.ns),
                 country=text(address, "ram:CountryID", d.ns))


def _allowance_charge_sums(settlement: etree._Element | None, d: Dialect) -> tuple[Decimal, Decimal]:
    allowances: list[Decimal | None] = []
    charges: list[Decimal | None] = []
    if settlement is not None:
        for entry in settlement.iterfind("ram:SpecifiedTradeAllowanceCharge", d.ns):
            value = amount(entry, "ram:ActualAmount", d.ns)
            is_charge = text(entry, "ram:ChargeIndicator/udt:Indicator", d.ns) == "true"
            (charges if is_charge else allowances).append(value)
    return total(allowances), total(charges)


def _line(item: etree._Element, d: Dialect) -> tuple[Line, LineFigures]:
    agreement = item.find(d.line_agreement, d.ns)
    quantity = item.find(f"{d.line_delivery}/ram:BilledQuantity", d.ns)
    settlement = item.find(d.line_settlement, d.ns)
    price = amount(agreement, "ram:NetPriceProductTradePrice/ram:ChargeAmount", d.ns)
    line = Line(
        id=text(item, "ram:AssociatedDocumentLineDocument/ram:LineID", d.ns),
        description=text(item, "ram:SpecifiedTradeProduct/ram:Name", d.ns)
        or text(item, "ram:SpecifiedTradeProduct/ram:Description", d.ns),
        quantity=amount(quantity, ".", d.ns),
        unit_code=None if quantity is None else quantity.get("unitCode"),
        unit_price=price,
        net_amount=amount(settlement, f"{d.line_summation}/ram:LineTotalAmount", d.ns),
    )
    allowances, charges = _allowance_charge_sums(settlement, d)
    sub = item.find("ram:AssociatedDocumentLineDocument/ram:ParentLineID", d.ns) is not None
    figures = LineFigures(line.id, line.quantity, price,
                          amount(agreement, "ram:NetPriceProductTradePrice/ram:BasisQuantity", d.ns),
                          allowances, charges, line.net_amount, is_sub_line=sub)
    return line, figures


def _vat(settlement: etree._Element | None, d: Dialect) -> list[VatBreakdown]:
    if settlement is None:
        return []
    return [VatBreakdown(category=text(tax, "ram:CategoryCode", d.ns), rate=amount(tax, d.rate, d.ns),
                         taxable=amount(tax, "ram:BasisAmount", d.ns), tax=amount(tax, "ram:CalculatedAmount", d.ns))
            for tax in settlement.iterfind("ram:ApplicableTradeTax", d.ns)]


def _tax_total(summation: etree._Element | None, currency: str | None, d: Dialect) -> Decimal | None:
    if summation is None:
        return None
    for element in summation.iterfind("ram:TaxTotalAmount", d.ns):
        if currency is None or element.get("currencyID") in (None, currency):
            return amount(element, ".", d.ns)
    return None


def _totals(settlement: etree._Element | None, currency: str | None, d: Dialect) -> Totals:
    summation = None if settlement is None else settlement.find(d.summation, d.ns)
    return Totals(
        line_total=amount(summation, "ram:LineTotalAmount", d.ns),
        allowances=amount(summation, "ram:AllowanceTotalAmount", d.ns),
        charges=amount(summation, "ram:ChargeTotalAmount", d.ns),
        tax_exclusive=amount(summation, "ram:TaxBasisTotalAmount", d.ns),
        tax_total=_tax_total(summation, currency, d),
        tax_inclusive=amount(summation, "ram:GrandTotalAmount", d.ns),
        prepaid=amount(summation, "ram:TotalPrepaidAmount", d.ns),
        rounding=amount(summation, "ram:RoundingAmount", d.ns),
        payable=amount(summation, "ram:DuePayableAmount", d.ns),
    )


def parse_cii(root: etree._Element, d: Dialect = D16B) -> ParsedInvoice:
    header = root.find(d.header, d.ns)
    transaction = root.find(d.transaction, d.ns)
    agreement = None if transaction is None else transaction.find(d.agreement, d.ns)
    settlement = None if transaction is None else transaction.find(d.settlement, d.ns)
    currency = text(settlement, "ram:InvoiceCurrencyCode", d.ns)
    parsed_lines = [] if transaction is None else [
        _line(item, d) for item in transaction.iterfind("ram:IncludedSupplyChainTradeLineItem", d.ns)]
    totals = _totals(settlement, currency, d)
    type_code = text(header, "ram:TypeCode", d.ns)
    invoice = Invoice(
        number=text(header, "ram:ID", d.ns),
        issue_date=iso_date(text(header, "ram:IssueDateTime/udt:DateTimeString", d.ns)),
        type_code=type_code,
        currency=currency,
        due_date=iso_date(text(settlement, "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
                               d.ns)),
        buyer_reference=text(agreement, "ram:BuyerReference", d.ns),
        order_reference=text(agreement, d.order_id, d.ns),
        specification=text(root, f"{d.context}/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", d.ns),
        seller=_party(None if agreement is None else agreement.find("ram:SellerTradeParty", d.ns), d),
        buyer=_party(None if agreement is None else agreement.find("ram:BuyerTradeParty", d.ns), d),
        iban=text(settlement, "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount"
                              "/ram:IBANID", d.ns),
        lines=tuple(line for line, figures in parsed_lines if not figures.is_sub_line),
        vat=tuple(_vat(settlement, d)),
        net_total=totals.line_total,
        tax_exclusive=totals.tax_exclusive,
        tax_inclusive=totals.tax_inclusive,
        payable=totals.payable,
        is_credit_note=type_code in CREDIT_NOTE_TYPE_CODES,
    )
    return ParsedInvoice(invoice, totals, tuple(figures for _, figures in parsed_lines))
