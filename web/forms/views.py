"""What the Jinja macros in `web/templates/forms/fields.html` render: plain descriptors, no logic."""

from __future__ import annotations

from dataclasses import dataclass, field

from web.forms.schema import Widget


@dataclass
class OptionView:
    id: str
    value: str
    label: str
    selected: bool


@dataclass
class ItemView:
    """One entry of a repeating group: its field (a fieldset for objects) and whether it has a remove button."""

    field: FieldView
    removable: bool


@dataclass
class FieldView:
    path: str  # dotted path, also the input's name
    id: str
    widget: Widget
    label: str
    full_label: str  # with the labels of the groups around it, for the error summary
    required: bool = False
    read_only: bool = False
    help: str | None = None
    placeholder: str | None = None
    value: str = ""
    checked: bool = False
    options: list[OptionView] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)  # extra input attributes (min, max, step, maxlength …)
    error: str | None = None
    children: list[FieldView] = field(default_factory=list)
    items: list[ItemView] = field(default_factory=list)
    can_add: bool = False
    document: str | None = None  # how the current document of a file field is shown
    autofocus: bool = False

    @property
    def name(self) -> str:
        return self.path

    @property
    def help_id(self) -> str:
        return f"{self.id}--help"

    @property
    def error_id(self) -> str:
        return f"{self.id}--error"

    @property
    def document_id(self) -> str:
        return f"{self.id}--document"

    @property
    def label_id(self) -> str:
        return f"{self.id}--label"

    @property
    def described_by(self) -> str:
        ids = []
        if self.help:
            ids.append(self.help_id)
        if self.document:
            ids.append(self.document_id)
        if self.error:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def anchor(self) -> str:
        """Where a link from the error summary goes: the input, or a group's first option."""
        if self.widget in ("radio", "checkboxes") and self.options and not self.read_only:
            return self.options[0].id
        return self.id

    def walk(self) -> list[FieldView]:
        """This field and every field inside it, in document order."""
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        for item in self.items:
            found.extend(item.field.walk())
        return found


@dataclass
class SummaryItem:
    text: str
    anchor: str | None  # id to link to; None for errors that belong to no shown field


@dataclass
class FormView:
    fields: list[FieldView]
    summary: list[SummaryItem]
    title: str | None = None
    intro: str | None = None
    id_prefix: str = "f"

    def walk(self) -> list[FieldView]:
        found: list[FieldView] = []
        for view in self.fields:
            found.extend(view.walk())
        return found

    def find(self, path: str) -> FieldView | None:
        return next((view for view in self.walk() if view.path == path), None)

    @property
    def has_repeat_buttons(self) -> bool:
        """Add/remove buttons present: the template then puts a harmless default button first (see docs)."""
        return any(view.can_add or any(item.removable for item in view.items) for view in self.walk())

    @property
    def needs_multipart(self) -> bool:
        """A file input is present: the surrounding <form> needs enctype="multipart/form-data"."""
        return any(view.widget == "file" and not view.read_only for view in self.walk())

    @property
    def summary_id(self) -> str:
        return f"{self.id_prefix}--error-summary"
