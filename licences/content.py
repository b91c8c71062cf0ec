"""What a licence says, gathered from the application as it stands: the signed content.

The content is plain JSON: the business (BN, program accounts, names, premises,
municipality) and every granted permit with its level, issuing authority, permit number,
the clerks' conditions, and its issue and expiry times. Names are kept in English and
French, from the packs pinned on the application, so a pack published later never changes
a licence. It is built once, signed, stored, and drawn from as stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from licences.numbering import permit_number
from workflows.models import Application, PermitCase
from workflows.packs.model import LEVELS, Chain
from workflows.text import Text
from workflows.workflow_templates import APPROVED

FORMAT = 1


def _names(text: Text) -> dict[str, str]:
    return {"en": text.en, "fr": text.fr}


def _moment(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def licence_content(
    application: Application,
    chain: Chain,
    cases: Sequence[PermitCase],
    program_accounts: Sequence[str],
) -> dict[str, Any]:
    """The business and its granted permits, federal first, then provincial, then municipal."""
    values = application.form_values or {}
    province = next((j for j in chain.jurisdictions if j.level == "provincial"), None)
    permits = {permit.code: permit for permit in chain.permits}
    level_rank = {level: rank for rank, level in enumerate(LEVELS)}
    granted = sorted(
        (case for case in cases if case.state == APPROVED),
        key=lambda c: (level_rank[permits[c.permit_code].level], chain.permit_rank[c.permit_code]),
    )
    return {
        "format": FORMAT,
        "business": {
            "business_number": application.business_number,
            "program_accounts": list(program_accounts),
            "legal_name": values.get("legal_name"),
            "operating_name": values.get("operating_name"),
            "premises_address": values.get("premises_address"),
            "postal_code": values.get("premises_postal_code"),
            "municipality": {"code": chain.municipality.code, **_names(chain.municipality.name)},
            "province": {"code": province.code, **_names(province.name)} if province else None,
        },
        "permits": [
            {
                "code": case.permit_code,
                "number": permit_number(case.permit_code, case.id),
                "level": permits[case.permit_code].level,
                "name": _names(permits[case.permit_code].name),
                "authority": {
                    "code": permits[case.permit_code].agency.code,
                    **_names(permits[case.permit_code].agency.name),
                },
                "conditions": list(case.conditions or []),
                "issued_at": _moment(case.issued_at),
                "expires_at": _moment(case.expires_at),
            }
            for case in granted
        ],
    }


def with_identity(
    content: dict[str, Any], *, number: str, version: int, issued_at: datetime
) -> dict[str, Any]:
    """The content with the licence's own number, version and issue time, as signed."""
    return {**content, "licence": {"number": number, "version": version, "issued_at": issued_at.isoformat()}}


def without_identity(content: dict[str, Any]) -> dict[str, Any]:
    """What a version says about the business and its permits: equal contents need no new version."""
    return {key: value for key, value in content.items() if key != "licence"}
