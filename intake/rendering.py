"""The documents intake generates for an invoice: validation report (JSON), readable rendering (HTML, and
PDF when WeasyPrint happens to be installed — it is not a dependency of akte) and the rejection notice."""

from __future__ import annotations

import importlib.util
import io
import json
import re
from typing import Any

from intake.einvoice import CheckResult, Invoice, render_html
from intake.letters import Notice
from records.documents import Upload

SAFE_NAME = re.compile(r"[^0-9A-Za-z._-]+")


def plain(value: Any) -> Any:
    """A to_json() result as plain JSON data (it may already be a JSON text)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def name_part(value: str | None, fallback: str) -> str:
    """A piece of a generated file name: letters, digits, `._-` only, at most 80 characters."""
    cleaned = SAFE_NAME.sub("_", value or "").strip("._")[:80]
    return cleaned or fallback


def report_upload(result: CheckResult, stem: str) -> Upload:
    content = json.dumps(plain(result.to_json()), ensure_ascii=False, indent=2, default=str).encode()
    return Upload(io.BytesIO(content), f"Pruefbericht-{stem}.json", "application/json")


def rendering_uploads(invoice: Invoice, result: CheckResult, stem: str) -> list[tuple[str, Upload]]:
    """(role, upload) of the readable rendering: HTML always, PDF too when WeasyPrint is installed."""
    html = render_html(invoice, result, lang="de")
    uploads = [("rendering", Upload(io.BytesIO(html.encode()), f"Rechnung-{stem}.html", "text/html"))]
    pdf = html_to_pdf(html)
    if pdf is not None:
        uploads.append(("rendering_pdf", Upload(io.BytesIO(pdf), f"Rechnung-{stem}.pdf", "application/pdf")))
    return uploads


def html_to_pdf(html: str) -> bytes | None:
    """The HTML as PDF through WeasyPrint, or None when it is not installed. Nothing outside the HTML is
    fetched (the invoice's content is the supplier's, not ours)."""
    if importlib.util.find_spec("weasyprint") is None:
        return None
    import weasyprint

    def refuse(url: str, *args: object, **kwargs: object) -> dict[str, Any]:
        raise ValueError(f"external resource {url} is not loaded")

    pdf = weasyprint.HTML(string=html, url_fetcher=refuse).write_pdf()
    return bytes(pdf) if pdf is not None else None


def notice_upload(notice: Notice, stem: str) -> Upload:
    return Upload(io.BytesIO(notice.text.encode()), f"Zurueckweisung-{stem}.txt", "text/plain")
