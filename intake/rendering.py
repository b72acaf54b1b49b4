"""The documents intake generates for an invoice: validation report (JSON), readable rendering (HTML, and
PDF on request through records.letters.html_to_pdf) and the rejection notice."""

from __future__ import annotations

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
    """(role, upload) of the readable rendering: HTML. Its PDF is made when someone asks for it
    (`records.letters.html_to_pdf`, ~50 ms a page set): most invoices are never printed, and the worker stays fast."""
    html = render_html(invoice, result, lang="de")
    return [("rendering", Upload(io.BytesIO(html.encode()), f"Rechnung-{stem}.html", "text/html"))]


def notice_upload(notice: Notice, stem: str) -> Upload:
    return Upload(io.BytesIO(notice.text.encode()), f"Zurueckweisung-{stem}.txt", "text/plain")
