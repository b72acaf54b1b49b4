"""The e-invoice pages: the printable PDF is made on request and only for those who may see the invoice."""

from __future__ import annotations

from pathlib import Path

from core.bootstrap import Services
from intake.process import process_pending
from tests.intake_helpers import intake_services, receive_path
from tests.web_helpers import page_client


def test_the_pdf_rendering_is_made_on_request_for_the_invoices_unit_only(services: Services,
                                                                          tmp_path: Path) -> None:
    intake = intake_services(services, tmp_path)
    received = receive_path(intake, "xrechnung/valid/01.01a-INVOICE_ubl.xml")  # no route: central unit 21
    process_pending(intake)
    payable = page_client(intake, "kira", units=("21",), groups=("kreditoren",))
    pdf = payable.get(f"/einvoices/{received.id}/rendering.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    assert 'filename="Rechnung-123456XX.pdf"' in pdf.headers["Content-Disposition"]
    assert "123456XX" in payable.get(f"/einvoices/{received.id}").get_data(as_text=True)
    outsider = page_client(intake, "otto", units=("99",), groups=("other",))
    assert outsider.get(f"/einvoices/{received.id}/rendering.pdf").status_code == 404
    assert outsider.get(f"/einvoices/{received.id}").status_code == 404
    assert "123456XX" not in outsider.get("/einvoices").get_data(as_text=True)
