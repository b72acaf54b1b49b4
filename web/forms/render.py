"""Render a `FormView` to HTML with the Jinja macros of `web/templates/forms/fields.html`."""

from __future__ import annotations

from flask import get_template_attribute
from markupsafe import Markup

from web.forms.views import FormView

TEMPLATE = "forms/fields.html"


def render_form(form: FormView) -> Markup:
    """The form's fields with their error summary (not the <form> element, CSRF field or submit buttons).

    Needs an application context whose Jinja loader finds `web/templates` and Flask-Babel initialised.
    In a template, `{% from "forms/fields.html" import schema_form %}{{ schema_form(form) }}` does the same.
    """
    macro = get_template_attribute(TEMPLATE, "schema_form")
    html = macro(form)  # an autoescaped template: already Markup
    if not isinstance(html, Markup):
        raise TypeError(f"{TEMPLATE} must be rendered with autoescaping")
    return html
