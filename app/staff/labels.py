"""What the staff pages call things: the task actions, and permits, municipalities and agencies
named by code (the queue holds codes; the packs hold their names in both languages).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from workflows.packs.model import PackSet

ACTIONS = {
    "claim": _l("Claim this task"),
    "release": _l("Release this task"),
    "approve": _l("Approve"),
    "request_info": _l("Ask the applicant for more information"),
    "reject": _l("Refuse the permit"),
    "reassign": _l("Reassign this task"),
}


def action_label(action: str) -> str:
    return str(ACTIONS[action]) if action in ACTIONS else action.replace("_", " ").capitalize()


def path_action(action: str) -> str:
    """An action as the pages' addresses name it, like the API's: request_info is `request-info`."""
    return action.replace("_", "-")


@dataclass(frozen=True, slots=True)
class PackNames:
    """Names by code from the packs in force, in one language; an unknown code is shown as is."""

    packs: PackSet
    language: str

    def permit(self, code: str) -> str:
        permit = self.packs.permits.get(code)
        return permit.name.in_(self.language) if permit else code

    def municipality(self, code: str) -> str:
        chain = self.packs.chains.get(code)
        return chain.municipality.name.in_(self.language) if chain else code

    def agency(self, code: str) -> str:
        agency = self.packs.agencies.get(code)
        return agency.name.in_(self.language) if agency else code
