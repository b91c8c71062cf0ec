"""The application's one form, built from `fields_of`: a WTForms field per FormField.

The form only turns what the browser sent into the values the service takes (a number,
cents, true/false, an ISO date); every rule (required, length, format, bounds) is the
service's, so a value the form cannot read is passed on as typed and the service refuses
it, which keeps a save all-or-nothing. Fields use a plain BaseForm, so a pack's field id
can never collide with a form attribute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DecimalField,
    EmailField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.form import BaseForm
from wtforms.meta import DefaultMeta

from app.triage.forms import MONEY_DIGITS
from workflows.application_form import BUSINESS_NUMBER_FIELD, DEFAULT_MAX_LENGTH, FormField
from workflows.packs.model import FieldDefinition
from workflows.text import FieldError

SHOWN = "_shown"  # the hidden input listing the fields on the page; "_" keeps it apart from field ids
ACTION = "_action"


class ApplicationForm(BaseForm):
    """The fields of one application, and the messages of values the form itself could not read."""

    def __init__(self, fields: Sequence[FormField], language: str):
        super().__init__([(f.definition.id, _unbound(f, language)) for f in fields], meta=DefaultMeta())
        self.form_fields = {f.definition.id: f for f in fields}
        self.unreadable: dict[str, str] = {}
        self.other_errors: list[str] = []

    @property
    def shown(self) -> str:
        return " ".join(self.form_fields)

    def asked_for(self, field_id: str, language: str) -> str:
        """The permits needing a field, by name: why it is asked."""
        return ", ".join(permit.name.in_(language) for permit in self.form_fields[field_id].permits)

    def values(self, shown: str | None) -> dict[str, Any]:
        """The service's values for the fields that were on the page ("" clears a field)."""
        on_page = set((shown or "").split())
        values = {}
        for field_id, form_field in self.form_fields.items():
            if field_id in on_page:
                values[field_id] = self._value(form_field.definition, self[field_id])
        return values

    def _value(self, definition: FieldDefinition, field) -> Any:
        typed = field.raw_data[0].strip() if field.raw_data else ""
        if not typed:
            return ""
        kind = definition.type
        if kind == "yes_no":
            return {"yes": True, "no": False}.get(typed, typed)
        if kind == "integer":
            return field.data if field.data is not None and not field.process_errors else typed
        if kind == "money":
            cents = _cents(typed)
            if cents is None:
                self.unreadable[definition.id] = _("Enter an amount in dollars, such as 1250.00.")
                return typed
            return cents
        if kind == "date":
            return field.data.isoformat() if isinstance(field.data, date) else typed
        return typed

    def place_errors(self, errors: Iterable[FieldError], language: str) -> None:
        """Each refusal next to its field (the form's own message for a value it could not read)."""
        for error in errors:
            field_id = error.field.removeprefix("fields.")
            if field_id in self.form_fields:
                message = self.unreadable.get(field_id) or error.message.in_(language)
                self[field_id].errors = [*self[field_id].errors, message]
            else:
                self.other_errors.append(error.message.in_(language))


def application_form(
    fields: Sequence[FormField], language: str, formdata=None, values: Mapping[str, Any] | None = None
) -> ApplicationForm:
    """The form with what the browser sent, or else with the application's saved values."""
    form = ApplicationForm(fields, language)
    if formdata is not None:
        form.process(formdata)
    else:
        saved = values or {}
        form.process(data={f.definition.id: _data(f.definition, saved.get(f.definition.id)) for f in fields})
    return form


def _cents(typed: str) -> int | None:
    """Cents, or None for what is not an amount: "NaN", "Infinity", and amounts of more than
    MONEY_DIGITS digits, which would overflow on the way to cents (the service sets the bounds)."""
    try:
        amount = Decimal(typed)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount.adjusted() > MONEY_DIGITS:
        return None
    cents = amount * 100
    return int(cents) if cents == cents.to_integral_value() else None


def _data(definition: FieldDefinition, value: Any) -> Any:
    """A saved value as its WTForms field holds it."""
    if value is None:
        return None
    if definition.type == "yes_no":
        return "yes" if value else "no"
    if definition.type == "money" and isinstance(value, int):
        return Decimal(value) / 100
    if definition.type == "date":
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            return None
    return value


def _attributes(**attributes: Any) -> dict[str, Any]:
    return {name: value for name, value in attributes.items() if value is not None}


def _unbound(form_field: FormField, language: str):
    definition = form_field.definition
    label = definition.label.in_(language)
    if not form_field.required:
        label = _("%(label)s (optional)", label=label)
    help_texts = [definition.help.in_(language)] if definition.help else []
    if definition.id == BUSINESS_NUMBER_FIELD:
        help_texts.append(_("Leave it empty if your business has none: one is assigned when you submit."))
    options = {"label": label, "description": " ".join(help_texts)}
    kind = definition.type
    limit = definition.max_length or DEFAULT_MAX_LENGTH.get(kind)
    if kind == "long_text":
        return TextAreaField(**options, render_kw=_attributes(maxlength=limit, rows=5))
    if kind == "email":
        return EmailField(**options, render_kw=_attributes(maxlength=limit, autocomplete="email"))
    if kind == "phone":
        return TelField(**options, render_kw={"autocomplete": "tel"})
    if kind == "postal_code":
        return StringField(**options, render_kw={"autocomplete": "postal-code", "maxlength": 7, "size": 8})
    if kind == "date":
        return DateField(**options)
    if kind == "integer":
        low = definition.minimum if definition.minimum is not None else 0
        render = _attributes(min=low, max=definition.maximum, step=1, inputmode="numeric")
        return IntegerField(**options, render_kw=render)
    if kind == "money":
        low = definition.minimum if definition.minimum is not None else 0
        high = Decimal(definition.maximum) / 100 if definition.maximum is not None else None
        render = _attributes(min=Decimal(low) / 100, max=high, step="0.01", inputmode="decimal")
        return DecimalField(**options, places=2, render_kw=render)
    if kind == "yes_no":
        return RadioField(**options, choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))])
    if kind == "choice":
        choices = [SelectChoice("", _l("Choose one"))]
        choices += [SelectChoice(c.value, c.label.in_(language)) for c in definition.choices]
        return SelectField(**options, choices=choices)
    if kind == "business_number":
        return StringField(**options, render_kw={"inputmode": "numeric", "autocomplete": "off", "size": 12})
    return StringField(**options, render_kw=_attributes(maxlength=limit))
