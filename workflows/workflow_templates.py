"""The workflow templates a permit can follow, by the name packs use for them.

A template names the steps a permit passes through after the applicant submits;
the permit state machines are built from these definitions. Packs may only name
templates listed here, so a typo is caught when the pack loads, not when a clerk acts.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.text import Text


@dataclass(frozen=True, slots=True)
class WorkflowTemplate:
    name: str
    description: Text
    clerk_steps: tuple[str, ...]  # steps a licensing clerk decides, in order


WORKFLOW_TEMPLATES: dict[str, WorkflowTemplate] = {
    template.name: template
    for template in (
        WorkflowTemplate(
            "registration",
            Text(
                "Registered as soon as the application is submitted and paid.",
                "Inscription dès que la demande est soumise et payée.",
            ),
            (),
        ),
        WorkflowTemplate(
            "review",
            Text(
                "A licensing clerk reviews the application and approves or refuses it.",
                "Un agent des permis examine la demande puis l'approuve ou la refuse.",
            ),
            ("review",),
        ),
        WorkflowTemplate(
            "inspection",
            Text(
                "An inspector visits the premises before the permit is approved.",
                "Un inspecteur visite les lieux avant l'approbation du permis.",
            ),
            ("inspection", "final_approval"),
        ),
        WorkflowTemplate(
            "plan_review_inspection",
            Text(
                "Plans are reviewed before work starts, then the premises are inspected.",
                "Les plans sont examinés avant les travaux, puis les lieux sont inspectés.",
            ),
            ("plan_review", "inspection", "final_approval"),
        ),
        WorkflowTemplate(
            "certification",
            Text(
                "The applicant shows proof of a certification (for example a course).",
                "Le demandeur fournit la preuve d'une certification (par exemple un cours).",
            ),
            ("proof_check",),
        ),
    )
}
