"""Parsing UBL, CII and ZUGFeRD into the one invoice model: every test invoice against expected.json, and a
small synthetic invoice field by field. No rules directory: only parsing, the schema and akte's arithmetic."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from intake.einvoice import Checker, Invoice
from tests import conftest

# Where akte's parse deliberately differs from expected.json (computed by local-name XPath), and why.
KNOWN_PARSE_DIFFERENCES = {
    ("zugferd/invalid/MustangGnuaccountingBeispielRE-20190610_507a.pdf", "buyer_reference"):
        "its <BuyerReference> has no namespace (the schema error that makes the invoice invalid); expected.json "
        "matched it by local name, akte reads BT-10 only from ram:BuyerReference",
}
COMPARED = ("invoice_number", "seller_name", "currency", "grand_total", "payable_amount", "due_date",
            "buyer_reference", "type_code", "issue_date")


def _values(invoice: Invoice | None) -> dict[str, Any]:
    if invoice is None:
        return dict.fromkeys(COMPARED)
    return {"invoice_number": invoice.number, "seller_name": invoice.seller.name, "currency": invoice.currency,
            "grand_total": invoice.tax_inclusive, "payable_amount": invoice.payable,
            "due_date": invoice.due_date and invoice.due_date.isoformat(), "buyer_reference": invoice.buyer_reference,
            "type_code": invoice.type_code, "issue_date": invoice.issue_date and invoice.issue_date.isoformat()}


def _same(expected: Any, got: Any) -> bool:
    if isinstance(got, Decimal) and expected is not None:
        return Decimal(expected) == got
    return bool(expected == got)


def test_every_test_invoice_parses_to_its_expected_values() -> None:
    folder = conftest.testdata_dir()
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    checker = Checker(None)
    differences = {}
    files = sorted(name for name in expected if name.startswith(("xrechnung/", "zugferd/")))
    assert len(files) >= 40
    for name in files:
        result = checker.check((folder / name).read_bytes(), name)
        got = _values(result.invoice)
        for key in COMPARED:
            if key in expected[name] and not _same(expected[name][key], got[key]):
                differences[(name, key)] = f"expected {expected[name][key]!r}, parsed {got[key]!r}"
    unexplained = {key: value for key, value in differences.items() if key not in KNOWN_PARSE_DIFFERENCES}
    assert not unexplained
    assert set(differences) == set(KNOWN_PARSE_DIFFERENCES), "a known difference disappeared: update the list"


def test_without_rules_directory_the_official_sets_are_named_as_skipped() -> None:
    folder = conftest.testdata_dir()
    result = Checker(None).check((folder / "xrechnung/valid/01.01a-INVOICE_ubl.xml").read_bytes(), "a.xml")
    assert result.valid and result.syntax == "UBL-Invoice"
    assert result.skipped_rule_sets == ["EN16931-UBL (no AKTE_EINVOICE_RULES)",
                                        "XRechnung-UBL (no AKTE_EINVOICE_RULES)"]
    assert result.rule_sets == ["xml", "XSD-UBL-2.1", "akte-arithmetic"]


def sample_ubl(*, line_net: str = "100.00", line_total: str = "100.00", tax: str = "19.00",
               tax_inclusive: str = "119.00", payable: str = "119.00", seller: str = "Muster GmbH",
               customization: str = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
               root: str = "Invoice") -> bytes:
    """A small UBL invoice (two lines of 50.00, 19 % VAT) whose figures can be broken one at a time."""
    line_tag, quantity_tag, type_tag = (("CreditNoteLine", "CreditedQuantity", "CreditNoteTypeCode")
                                        if root == "CreditNote" else ("InvoiceLine", "InvoicedQuantity",
                                                                      "InvoiceTypeCode"))
    type_code = "381" if root == "CreditNote" else "380"
    half = Decimal(line_net) / 2

    def line(number: int) -> str:
        return (f"<cac:{line_tag}><cbc:ID>{number}</cbc:ID>"
                f"<cbc:{quantity_tag} unitCode=\"C62\">2</cbc:{quantity_tag}>"
                f"<cbc:LineExtensionAmount currencyID=\"EUR\">{half:.2f}</cbc:LineExtensionAmount>"
                f"<cac:Item><cbc:Name>Artikel {number}</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID>"
                "<cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>"
                "</cac:ClassifiedTaxCategory></cac:Item>"
                f"<cac:Price><cbc:PriceAmount currencyID=\"EUR\">{half / 2:.2f}</cbc:PriceAmount></cac:Price>"
                f"</cac:{line_tag}>")

    return f"""<?xml version="1.0" encoding="UTF-8"?>
<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>{customization}</cbc:CustomizationID>
  <cbc:ID>R-2026-0042</cbc:ID>
  <cbc:IssueDate>2026-03-01</cbc:IssueDate>
  {"<cbc:DueDate>2026-03-31</cbc:DueDate>" if root == "Invoice" else ""}
  <cbc:{type_tag}>{type_code}</cbc:{type_tag}>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>05315000-12345-67</cbc:BuyerReference>
  <cac:OrderReference><cbc:ID>B-77</cbc:ID></cac:OrderReference>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyName><cbc:Name>Handelsname</cbc:Name></cac:PartyName>
    <cac:PostalAddress><cbc:StreetName>Hauptstr. 1</cbc:StreetName><cbc:CityName>Krefeld</cbc:CityName>
      <cbc:PostalZone>47798</cbc:PostalZone><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode>
      </cac:Country></cac:PostalAddress>
    <cac:PartyTaxScheme><cbc:CompanyID>DE123456789</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID>
      </cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>{seller}</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PostalAddress><cbc:CityName>Krefeld</cbc:CityName><cac:Country>
      <cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    <cac:PartyLegalEntity><cbc:RegistrationName>Stadt Krefeld</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>DE02120300000000202051</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>
    <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">100.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID>
      </cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">{line_total}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">{tax_inclusive}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">{payable}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  {line(1)}{line(2)}
</{root}>""".encode()


def test_a_ubl_invoice_becomes_the_normalised_model() -> None:
    result = Checker(None).check(sample_ubl(), "r.xml")
    invoice = result.invoice
    assert result.valid, result.errors
    assert invoice is not None
    assert (invoice.number, invoice.issue_date, invoice.due_date, invoice.type_code, invoice.currency) == (
        "R-2026-0042", date(2026, 3, 1), date(2026, 3, 31), "380", "EUR")
    assert (invoice.buyer_reference, invoice.order_reference, invoice.iban) == (
        "05315000-12345-67", "B-77", "DE02120300000000202051")
    assert invoice.seller.name == "Muster GmbH"  # BT-27 legal name before the trading name
    assert (invoice.seller.vat_id, invoice.seller.street, invoice.seller.postcode, invoice.seller.city,
            invoice.seller.country) == ("DE123456789", "Hauptstr. 1", "47798", "Krefeld", "DE")
    assert invoice.buyer.name == "Stadt Krefeld"
    assert [(li.id, li.description, li.quantity, li.unit_code, li.unit_price, li.net_amount)
            for li in invoice.lines] == [("1", "Artikel 1", Decimal(2), "C62", Decimal("25.00"), Decimal("50.00")),
                                         ("2", "Artikel 2", Decimal(2), "C62", Decimal("25.00"), Decimal("50.00"))]
    assert [(v.category, v.rate, v.taxable, v.tax) for v in invoice.vat] == [
        ("S", Decimal(19), Decimal("100.00"), Decimal("19.00"))]
    assert (invoice.net_total, invoice.tax_exclusive, invoice.tax_inclusive, invoice.payable) == (
        Decimal("100.00"), Decimal("100.00"), Decimal("119.00"), Decimal("119.00"))
    assert not invoice.is_credit_note


def test_a_ubl_credit_note_is_marked_as_one() -> None:
    result = Checker(None).check(sample_ubl(root="CreditNote"), "g.xml")
    assert result.syntax == "UBL-CreditNote"
    assert result.invoice is not None and result.invoice.is_credit_note and result.invoice.type_code == "381"
    assert [line.quantity for line in result.invoice.lines] == [Decimal(2), Decimal(2)]


def test_to_json_is_json_safe_with_iso_dates_and_decimal_strings() -> None:
    result = Checker(None).check(sample_ubl(), "r.xml")
    body = json.loads(json.dumps(result.to_json()))
    assert body["file"] == "r.xml" and body["valid"] is True and body["syntax"] == "UBL-Invoice"
    assert body["invoice"]["issue_date"] == "2026-03-01" and body["invoice"]["payable"] == "119.00"
    assert body["invoice"]["lines"][0]["net_amount"] == "50.00"
    assert body["invoice"]["seller"]["vat_id"] == "DE123456789"
    assert {"rule_sets", "skipped_rule_sets", "errors", "warnings", "paper_like"} <= set(body)


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"<Invoice><ID>1</ID>", "XML-WELLFORMED"),
        (b"<?xml version='1.0'?><order xmlns='urn:example'/>", "AKTE-SYNTAX"),
    ],
)
def test_broken_or_foreign_xml_is_an_invalid_result_not_an_exception(content: bytes, rule: str) -> None:
    result = Checker(None).check(content, "x.xml")
    assert not result.valid and result.syntax == "unknown" and result.invoice is None
    assert [finding.rule_id for finding in result.errors] == [rule]
    assert result.errors[0].severity == "fatal" and result.errors[0].rule_set == "xml"
