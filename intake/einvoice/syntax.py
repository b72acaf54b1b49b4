"""Which e-invoice syntax a root element is, and the namespaces of each."""

from __future__ import annotations

from enum import Enum

from lxml import etree

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CII_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
CII_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
CII_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
ZF1_RSM = "urn:ferd:CrossIndustryDocument:invoice:1p0"
ZF1_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
ZF1_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15"

# Prefixes used to shorten rule locations in reports (the rules' own XPaths spell out namespace URIs).
PREFIXES = {UBL_INVOICE: "ubl", UBL_CREDIT_NOTE: "cn", CAC: "cac", CBC: "cbc", CII_RSM: "rsm", CII_RAM: "ram",
            CII_UDT: "udt", "urn:un:unece:uncefact:data:standard:QualifiedDataType:100": "qdt",
            ZF1_RSM: "rsm", ZF1_RAM: "ram", ZF1_UDT: "udt"}


class Syntax(Enum):
    UBL_INVOICE = "UBL-Invoice"
    UBL_CREDIT_NOTE = "UBL-CreditNote"
    CII = "CII"  # UN/CEFACT CII D16B (XRechnung CII, ZUGFeRD 2.x, Factur-X)
    ZUGFERD1 = "ZUGFeRD1-CII"  # ZUGFeRD 1.0 CrossIndustryDocument
    UNKNOWN = "unknown"

    @property
    def binding(self) -> str | None:
        """The EN 16931 syntax binding whose rules apply: "UBL", "CII" or None."""
        if self in (Syntax.UBL_INVOICE, Syntax.UBL_CREDIT_NOTE):
            return "UBL"
        return "CII" if self is Syntax.CII else None


_ROOTS = {
    (UBL_INVOICE, "Invoice"): Syntax.UBL_INVOICE,
    (UBL_CREDIT_NOTE, "CreditNote"): Syntax.UBL_CREDIT_NOTE,
    (CII_RSM, "CrossIndustryInvoice"): Syntax.CII,
    (ZF1_RSM, "CrossIndustryDocument"): Syntax.ZUGFERD1,
}


def detect(root: etree._Element) -> Syntax:
    qname = etree.QName(root)
    return _ROOTS.get((qname.namespace or "", qname.localname), Syntax.UNKNOWN)
