"""E-invoices: UBL 2.1, UN/CEFACT CII, ZUGFeRD 1.0/2.x and Factur-X parsed into one model and checked against
the official EN 16931 and XRechnung rules (see docs/einvoice.md). Imports only `core` from akte.

    checker = Checker(settings.einvoice_rules)      # once per process; XSLTs compile on first use
    result = checker.check(content, "rechnung.xml")  # CheckResult; UnreadableInvoice for hostile input
"""

from intake.einvoice.checker import Checker
from intake.einvoice.errors import UnreadableInvoice
from intake.einvoice.model import CheckResult, Finding, Invoice, Line, Party, VatBreakdown
from intake.einvoice.render import render_html

__all__ = ["CheckResult", "Checker", "Finding", "Invoice", "Line", "Party", "UnreadableInvoice", "VatBreakdown",
           "render_html"]
