"""The queue's filters and one small form per task action.

The forms only collect what was typed; every rule (a reason is required, a condition's
length, a colleague of the same agency) is the engine's, so `workflows.tasks` refuses
once, and the page shows each refusal next to its field. Each action form has its
action as prefix, so the task page's forms never share an id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField

from app.apply.labels import state_label
from app.staff.labels import PackNames
from workflows.tasks import QueueChoices, TaskView
from workflows.tasks.actions import MAX_MESSAGE_LENGTH
from workflows.text import FieldError


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    permit = SelectField(_l("Permit"))
    state = SelectField(_l("State"))
    municipality = SelectField(_l("Municipality"))

    def __init__(self, choices: QueueChoices, names: PackNames, **kwargs):
        super().__init__(**kwargs)
        _offer(self.permit, _("Any permit"), choices.permit_codes, names.permit)
        _offer(self.state, _("Any state"), choices.states, state_label)
        _offer(self.municipality, _("Any municipality"), choices.municipalities, names.municipality)


def _offer(field: SelectField, anything: str, values: Iterable[str], name: Callable[[str], str]) -> None:
    """The values the agency's work can have, by name, and the one chosen even when the packs no
    longer have it (so the menu never shows "any" while the list is filtered)."""
    offered = {*values, *([field.data] if field.data else [])}
    options = sorted(((value, name(value)) for value in offered), key=lambda option: option[1])
    field.choices = [SelectChoice("", anything)] + [SelectChoice(value, label) for value, label in options]


class ActionForm(FlaskForm):
    """A task action: what was typed, and the engine's refusals it could not place on a field."""

    action = ""  # set by `action_form`

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.other_errors: list[str] = []

    def argument(self) -> object:
        """What the engine's function takes from this form (nothing for claim and release)."""
        return None

    def place_errors(self, errors: Iterable[FieldError], language: str) -> None:
        for error in errors:
            name, _dot, index = error.field.partition(".")
            message = error.message.in_(language)
            if index.isdigit():  # one condition of the list: the textarea's line
                message = _("Line %(line)s: %(message)s", line=int(index) + 1, message=message)
            if name in self._fields and name != "csrf_token":
                self[name].errors = [*self[name].errors, message]
            else:
                self.other_errors.append(message)


class ClaimForm(ActionForm):
    pass


class ReleaseForm(ActionForm):
    pass


class ApproveForm(ActionForm):
    conditions = TextAreaField(
        _l("Conditions (optional)"),
        description=_l("One condition per line. They are printed on the licence."),
        render_kw={"rows": 4},
    )

    def argument(self) -> list[str] | None:
        return self.conditions.data.splitlines() if self.conditions.data else None


class RequestInfoForm(ActionForm):
    message = TextAreaField(
        _l("What the applicant should send"),
        description=_l("The applicant reads it on their application's page and in an email."),
        render_kw={"rows": 4, "maxlength": MAX_MESSAGE_LENGTH},
    )

    def argument(self) -> str | None:
        return self.message.data


class RejectForm(ActionForm):
    reason = TextAreaField(
        _l("Why the permit is refused"),
        description=_l("The applicant receives this reason."),
        render_kw={"rows": 4, "maxlength": MAX_MESSAGE_LENGTH},
    )

    def argument(self) -> str | None:
        return self.reason.data


class ReassignForm(ActionForm):
    clerk_id = SelectField(_l("Assign to"))

    def argument(self) -> object:
        """The colleague's id as the engine takes it; anything else is passed on for it to refuse."""
        chosen = self.clerk_id.data or None
        return int(chosen) if chosen and chosen.isdigit() else chosen

    def offer(self, view: TaskView) -> None:
        self.clerk_id.choices = [SelectChoice("", _("Choose a colleague"))] + [
            SelectChoice(str(person.id), person.name) for person in view.colleagues
        ]


FORMS: dict[str, type[ActionForm]] = {
    "claim": ClaimForm,
    "release": ReleaseForm,
    "approve": ApproveForm,
    "request_info": RequestInfoForm,
    "reject": RejectForm,
    "reassign": ReassignForm,
}


def action_form(action: str, **kwargs) -> ActionForm:
    """The action's form, filled from the request when posted (pass formdata=None for an empty one)."""
    form = FORMS[action](prefix=action, **kwargs)
    form.action = action
    return form


def action_forms(view: TaskView, failed: ActionForm | None = None) -> dict[str, ActionForm]:
    """A form for each action the viewer may take now; a refused one keeps what was typed."""
    forms = {}
    for action in view.actions:
        refused = failed is not None and failed.action == action
        form = failed if refused else action_form(action, formdata=None)
        if isinstance(form, ReassignForm):
            form.offer(view)
        forms[action] = form
    return forms
