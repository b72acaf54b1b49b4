"""Task forms rendered from JSON Schema (+ UI schema) and read back from the submitted form.

    form = build_form(schema, ui_schema, values, errors)          # descriptors, see views.py
    html = render_form(form)                                       # or the Jinja macro schema_form(form)
    submission = parse_submission(schema, request.form, request.files, ui_schema=..., current=...)
    errors = validate(schema, submission.data, submission.errors)  # {} when valid

See docs/forms.md for the schema keywords and UI hints akte honours.
"""

from web.forms.fields import MISSING, ROOT_ERROR, build_form, current_language
from web.forms.paths import field_id, get_path, set_path
from web.forms.render import render_form
from web.forms.schema import DOCUMENT_FORMAT, MAX_DEPTH, MAX_ITEMS
from web.forms.submission import ADD, REFRESH, REMOVE, FormAction, Submission, parse_submission
from web.forms.validation import field_messages, validate
from web.forms.views import FieldView, FormView, ItemView, OptionView, SummaryItem

__all__ = [
    "ADD",
    "DOCUMENT_FORMAT",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MISSING",
    "REFRESH",
    "REMOVE",
    "ROOT_ERROR",
    "FieldView",
    "FormAction",
    "FormView",
    "ItemView",
    "OptionView",
    "Submission",
    "SummaryItem",
    "build_form",
    "current_language",
    "field_id",
    "field_messages",
    "get_path",
    "parse_submission",
    "render_form",
    "set_path",
    "validate",
]
