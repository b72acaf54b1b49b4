"""Decision letters (Bescheide, certificates, reminders, rejections) rendered from templates as PDF/A-2b.

A procedure ships the letter *body* as a Jinja template (`bpmn/<procedure>/letters/*.html`, deployed with the
model). akte renders it in Jinja's sandbox (autoescaped: process data is the citizen's input) and puts it into
the city's letterhead with recipient, reference number and date; WeasyPrint prints the result as PDF/A-2b.
Nothing outside the HTML is fetched while printing.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, FunctionLoader, StrictUndefined, TemplateError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from core.errors import AkteError, ValidationFailed

LAYOUT_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Letterhead:
    authority: str  # "Stadt Krefeld"
    office: str  # "Der Oberbürgermeister"
    address: str  # one line: street, postcode, town
    footer: str  # contact line at the bottom of every page


@dataclass(frozen=True)
class LetterRequest:
    body_template: str  # Jinja source of the body (HTML fragment)
    subject: str
    reference_number: str
    recipient: str  # multi-line address block
    day: date
    context: dict[str, Any]  # what the body template may use
    includes: Callable[[str], str] | None = None  # `{% include "x.html" %}`: the source of another template


def german_date(value: object) -> str:
    """19.01.2026 for a date, datetime or ISO text; other values unchanged."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10]).strftime("%d.%m.%Y")
        except ValueError:
            return value
    if isinstance(value, datetime | date):
        return value.strftime("%d.%m.%Y")
    return "" if value is None else str(value)


def euro(value: object) -> str:
    """1.234,50 € for a number (or numeric text); other values unchanged."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return "" if value is None else str(value)
    whole, _, cents = f"{amount:,.2f}".partition(".")
    return f"{whole.replace(',', '.')},{cents} €"


def _body_environment(includes: Callable[[str], str] | None) -> SandboxedEnvironment:
    """Jinja's sandbox for a letter body; `includes` supplies the parts it includes (other deployed templates)."""
    loader = FunctionLoader(lambda name: (includes(name), None, lambda: True)) if includes is not None else None
    env = SandboxedEnvironment(autoescape=True, loader=loader)
    env.filters.update(datum=german_date, euro=euro)
    return env


@cache
def _layout_environment() -> Environment:
    return Environment(loader=FileSystemLoader(LAYOUT_DIR), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined)


def letter_html(request: LetterRequest, letterhead: Letterhead) -> str:
    """The whole letter as HTML; a template error is a ValidationFailed naming the template's problem."""
    try:
        body = _body_environment(request.includes).from_string(request.body_template).render(
            **request.context, today=request.day)
    except (AkteError, TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:  # designer input
        raise ValidationFailed(f"letter template cannot be rendered: {type(exc).__name__}: {exc}") from exc
    return _layout_environment().get_template("letter.html").render(
        letterhead=letterhead, subject=request.subject, reference_number=request.reference_number,
        recipient=request.recipient, today=german_date(request.day), body=Markup(body))  # noqa: S704 - sandboxed, autoescaped


def html_to_pdf(html: str, *, archival: bool = False) -> bytes:
    """The HTML as PDF through WeasyPrint (PDF/A-2b with `archival`); external resources are refused."""
    import weasyprint  # imported on use: it loads Pango, which no other command needs

    def refuse(url: str, *args: object, **kwargs: object) -> dict[str, Any]:
        raise ValueError(f"external resource {url} is not loaded")

    options: dict[str, Any] = {"pdf_variant": "pdf/a-2b"} if archival else {}
    with warnings.catch_warnings():
        # WeasyPrint 70 opens its sRGB output-intent profile for PDF/A without closing it (freed at once)
        warnings.simplefilter("ignore", ResourceWarning)
        pdf = weasyprint.HTML(string=html, url_fetcher=refuse).write_pdf(**options)
    if pdf is None:
        raise ValueError("WeasyPrint produced no PDF")
    return bytes(pdf)


def letter_pdf(request: LetterRequest, letterhead: Letterhead) -> io.BytesIO:
    """The letter printed as PDF/A-2b, ready to store as a document."""
    return io.BytesIO(html_to_pdf(letter_html(request, letterhead), archival=True))
