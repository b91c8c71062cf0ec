"""What each email says, in English and French.

Emails carry as little personal data as they can: no name, no business details, only the
application number, the permit, what the agency wrote, and the page to look at. Everything
else is on the site, behind sign-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from workflows.text import Text

SUBJECT_MAX_LENGTH = 300  # the outbox's column

_GREETING = Text("Hello,", "Bonjour,")
_APPLICATION = Text("Application: {application}", "Demande : {application}")
_PERMIT = Text("Permit: {permit}", "Permis : {permit}")
_LICENCE = Text("Licence number: {licence}", "Numéro de licence : {licence}")
_CONDITIONS = Text("Conditions you must meet:", "Conditions à respecter :")
_EXPIRING = Text("Permits to renew:", "Permis à renouveler :")
_EXPIRES_ON = Text("- {permit}: expires on {date}", "- {permit} : expire le {date}")
_SEE_APPLICATION = Text(
    "To see your application, sign in to Guichet and open {path}",
    "Pour voir votre demande, connectez-vous à Guichet et ouvrez {path}",
)
_AUTOMATIC = Text(
    "This email was sent automatically; replies to it are not read.",
    "Ce courriel a été envoyé automatiquement; les réponses ne sont pas lues.",
)


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of email: its subject and opening, and what the caller must give to write it."""

    subject: Text  # formatted with {permit} and {application}
    opening: Text
    needs_permit: bool
    #: The heading above the clerk's text ("Reason given by the agency:"), or None when it takes none.
    message_heading: Text | None = None
    takes_conditions: bool = False
    needs_licence: bool = False  # the licence number to quote
    #: The permits about to expire, each with its expiry date (a renewal reminder lists them).
    needs_expiring: bool = False
    where: Text = _SEE_APPLICATION  # formatted with {path}
    page: str = ""  # the page under the application's path that {path} names, e.g. "/renewal"
    closing: Text | None = None


KINDS: dict[str, Kind] = {
    "permit_approved": Kind(
        subject=Text(
            "Permit approved: {permit} (application {application})",
            "Permis approuvé : {permit} (demande {application})",
        ),
        opening=Text(
            "Good news: your permit has been approved.", "Bonne nouvelle : votre permis est approuvé."
        ),
        needs_permit=True,
        takes_conditions=True,
    ),
    "permit_rejected": Kind(
        subject=Text(
            "Permit refused: {permit} (application {application})",
            "Permis refusé : {permit} (demande {application})",
        ),
        opening=Text("The agency has refused your permit.", "L'organisme a refusé votre permis."),
        needs_permit=True,
        message_heading=Text("Reason given by the agency:", "Motif donné par l'organisme :"),
        closing=Text(
            "If a refund applies, you will see it on your application.",
            "Si un remboursement s'applique, il figurera dans votre demande.",
        ),
    ),
    "info_requested": Kind(
        subject=Text(
            "Information needed: {permit} (application {application})",
            "Renseignements demandés : {permit} (demande {application})",
        ),
        opening=Text(
            "The agency needs more information before it can decide on your permit.",
            "L'organisme a besoin de renseignements avant de pouvoir décider de votre permis.",
        ),
        needs_permit=True,
        message_heading=Text("The agency's question:", "Question de l'organisme :"),
        where=Text(
            "To answer, sign in to Guichet and open {path}",
            "Pour répondre, connectez-vous à Guichet et ouvrez {path}",
        ),
        closing=Text(
            "The agency will continue once you have answered.",
            "L'organisme poursuivra l'examen dès votre réponse.",
        ),
    ),
    "licence_issued": Kind(
        subject=Text(
            "Your business licence is issued (application {application})",
            "Votre licence d'entreprise est délivrée (demande {application})",
        ),
        opening=Text(
            "Your consolidated business licence has been issued. It covers every permit granted to your "
            "business; a new version replaces the earlier one whenever a permit is added or renewed.",
            "Votre licence d'entreprise consolidée a été délivrée. Elle regroupe tous les permis accordés à "
            "votre entreprise; une nouvelle version remplace la précédente chaque fois qu'un permis est "
            "ajouté ou renouvelé.",
        ),
        needs_permit=False,
        needs_licence=True,
        where=Text(
            "To download your licence (PDF), sign in to Guichet and open {path}",
            "Pour télécharger votre licence (PDF), connectez-vous à Guichet et ouvrez {path}",
        ),
        closing=Text(
            "The same page offers a short, optional survey on how it went: your answer helps the "
            "agencies improve their service.",
            "La même page vous propose un court sondage facultatif sur votre expérience : votre "
            "réponse aide les organismes à améliorer leur service.",
        ),
    ),
    "renewal_reminder": Kind(
        subject=Text(
            "Renew your permits before they expire (application {application})",
            "Renouvelez vos permis avant leur expiration (demande {application})",
        ),
        opening=Text(
            "Some of your permits expire soon. Renewing takes a few minutes: what you already gave us is "
            "filled in, you change only what is new, and you pay the renewal fees in one payment.",
            "Certains de vos permis expirent bientôt. Le renouvellement prend quelques minutes : ce que "
            "vous nous avez déjà donné est prérempli, vous ne modifiez que ce qui a changé et vous payez "
            "les droits de renouvellement en un seul paiement.",
        ),
        needs_permit=False,
        needs_expiring=True,
        where=Text(
            "To renew them, sign in to Guichet and open {path}",
            "Pour les renouveler, connectez-vous à Guichet et ouvrez {path}",
        ),
        page="/renewal",
    ),
}


def application_path(application_id: int) -> str:
    """The page of the site an email points to (the applicant's dashboard)."""
    return f"/applications/{application_id}"


def check_arguments(
    kind: str,
    *,
    permit_name: Text | None,
    message: str | None,
    conditions: Sequence[str],
    licence: str | None = None,
    expiring: Sequence[tuple[Text, date]] = (),
) -> Kind:
    """The kind, or ValueError when the caller gave what it does not take or left out what it needs.

    Raised inside the caller's transaction, so a decision is never recorded with a half-written
    email: a mistake here is a bug to see at once, not a message to send wrong.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown notification kind {kind!r}; known: {', '.join(KINDS)}")
    if spec.needs_permit != (permit_name is not None):
        raise ValueError(f"{kind} {'needs' if spec.needs_permit else 'takes no'} permit_name")
    if (spec.message_heading is not None) != bool(message and message.strip()):
        raise ValueError(f"{kind} {'needs' if spec.message_heading else 'takes no'} message")
    if conditions and not spec.takes_conditions:
        raise ValueError(f"{kind} takes no conditions")
    if spec.needs_licence != (licence is not None):
        raise ValueError(f"{kind} {'needs' if spec.needs_licence else 'takes no'} licence")
    if spec.needs_expiring != bool(expiring):
        raise ValueError(f"{kind} {'needs' if spec.needs_expiring else 'takes no'} expiring permits")
    return spec


def render(
    kind: str,
    language: str,
    *,
    application_id: int,
    permit_name: Text | None = None,
    message: str | None = None,
    conditions: Sequence[str] = (),
    licence: str | None = None,
    expiring: Sequence[tuple[Text, date]] = (),
) -> tuple[str, str]:
    """The subject and the plain-text body of one email, in `language` ("en" or "fr").

    `expiring` lists (permit name, expiry date) for a renewal reminder; dates are written
    YYYY-MM-DD, which reads the same in both languages.
    """
    spec = check_arguments(
        kind,
        permit_name=permit_name,
        message=message,
        conditions=conditions,
        licence=licence,
        expiring=expiring,
    )
    permit = permit_name.in_(language) if permit_name else ""
    path = application_path(application_id) + spec.page
    subject = " ".join(spec.subject.in_(language).format(permit=permit, application=application_id).split())
    if len(subject) > SUBJECT_MAX_LENGTH:
        subject = subject[: SUBJECT_MAX_LENGTH - 1].rstrip() + "…"

    paragraphs = [_GREETING.in_(language), spec.opening.in_(language)]
    facts = [_APPLICATION.in_(language).format(application=application_id)]
    if permit_name:
        facts.append(_PERMIT.in_(language).format(permit=permit))
    if licence:
        facts.append(_LICENCE.in_(language).format(licence=licence))
    paragraphs.append("\n".join(facts))
    if spec.message_heading and message:
        paragraphs.append(f"{spec.message_heading.in_(language)}\n{message.strip()}")
    cleaned = [condition.strip() for condition in conditions if condition.strip()]
    if cleaned:
        paragraphs.append("\n".join([_CONDITIONS.in_(language), *(f"- {c}" for c in cleaned)]))
    if expiring:
        lines = [
            _EXPIRES_ON.in_(language).format(permit=name.in_(language), date=expiry.isoformat())
            for name, expiry in expiring
        ]
        paragraphs.append("\n".join([_EXPIRING.in_(language), *lines]))
    paragraphs.append(spec.where.in_(language).format(path=path))
    if spec.closing:
        paragraphs.append(spec.closing.in_(language))
    paragraphs.append(_AUTOMATIC.in_(language))
    return subject, "\n\n".join(paragraphs) + "\n"
