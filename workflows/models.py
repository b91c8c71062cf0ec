"""Tables of the engine. The schema itself is made only by the Alembic migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

import accounts.models  # noqa: F401  (applications belong to users: their table must be known)
from workflows.db import Base, UTCDateTime, utcnow
from workflows.workflow_templates import DRAFT


class PackVersion(Base):
    """One published version of one jurisdiction's pack, kept forever.

    The YAML text is stored as published, so an application can always be traced back
    to the exact rules it was triaged under; `active` marks the version in force.
    """

    __tablename__ = "pack_versions"
    __table_args__ = (UniqueConstraint("jurisdiction_code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jurisdiction_code: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id")
    )  # None: loaded by `flask packs load`
    #: `schema_stamp` of the text when it passed the JSON Schema at publication: workers then skip
    #: its schema check. None (published before stamps, or stamped under another schema) until
    #: the next publication checks it again.
    schema_check: Mapped[str | None] = mapped_column(String(64))


class Application(Base):
    """One entrepreneur's application for every permit a business needs in one municipality.

    The triage answers and the version of every pack used are pinned here, so a pack
    published later never changes an application already under way.
    """

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("owner_id", "creation_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    jurisdiction_code: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict] = mapped_column(JSON)
    pack_versions: Mapped[dict] = mapped_column(JSON)  # jurisdiction code -> pack version used
    business_number: Mapped[str | None] = mapped_column(String(9), index=True)
    #: The CRA programs ("RT", "RP" ...) its permits open on the BN, each shown as "123456782 RT 0001".
    program_accounts: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The one form's values, field id -> cleaned value; kept as a draft until submission.
    form_values: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: The Idempotency-Key the API client created it with, if any, and a digest of that request:
    #: the same key again answers with this application instead of making another.
    creation_key: Mapped[str | None] = mapped_column(String(255))
    creation_request_sha256: Mapped[str | None] = mapped_column(String(64))


class AssignedBusinessNumber(Base):
    """Every Business Number Guichet assigned: the primary key makes two assignments of one number
    impossible, even when two submissions draw the same number at the same moment."""

    __tablename__ = "assigned_business_numbers"

    number: Mapped[str] = mapped_column(String(9), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consent(Base):
    """The applicant's consent to share named fields with one agency: who, what, when, to whom.

    Append-only: a consent given is history. Consent covers the fields listed; if the
    application later needs more fields for that agency, a new consent is needed.
    """

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    agency_code: Mapped[str] = mapped_column(String(32))
    fields: Mapped[list[str]] = mapped_column(JSON)  # field ids shared with the agency
    given_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StateIsReadOnly(AttributeError):
    """Raised on `case.state = ...`: a permit's state changes only through the workflow engine."""


class PermitCase(Base):
    """One permit of one application, as it moves through its workflow.

    The state lives in a private column behind a read-only property: only the engine in
    `workflows.permit_workflow` changes it, and it records a PermitEvent each time. The
    version column makes a write based on a stale read fail instead of overwriting
    another transaction's change. `prerequisites` and `workflow` are copied from the
    pack when the case is opened, like the pack versions pinned on the application.
    """

    __tablename__ = "permit_cases"
    __table_args__ = (
        UniqueConstraint("application_id", "permit_code"),
        # The queue: an agency's open tasks in the order pages show them, so a page reads its
        # rows off the index however many tasks wait. Closed permits (waiting on nobody, most
        # of the table in time) are left out of it.
        Index(
            "ix_permit_cases_queue",
            "agency_code",
            "decision_due_at",
            "id",
            postgresql_where=text("waiting_on IS NOT NULL"),
            sqlite_where=text("waiting_on IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    permit_code: Mapped[str] = mapped_column(String(64))
    jurisdiction_code: Mapped[str] = mapped_column(String(16))
    #: The agency whose clerks decide it, copied from the pack when the case is opened.
    agency_code: Mapped[str | None] = mapped_column(String(32))
    workflow: Mapped[str] = mapped_column(String(64))  # a workflow template's name
    _state: Mapped[str] = mapped_column("state", String(64), index=True, default=DRAFT)
    prerequisites: Mapped[list[str]] = mapped_column(JSON, default=list)  # permit codes of this application
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # deadline of the current step, if any
    #: When the agency should have decided: submission plus the permit's processing days.
    decision_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Whose turn it is, kept by the engine on every transition so a queue is one indexed query:
    #: "clerk" (at a step a clerk decides), "applicant" (asked for information), or None.
    waiting_on: Mapped[str | None] = mapped_column(String(16))
    #: The clerk who claimed the task; kept while the applicant answers, so it returns to them.
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Conditions clerks attached on approving, printed on the licence.
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: When the permit was granted, and when it lapses unless renewed (None: it does not expire);
    #: set when the licence carrying it is issued, moved on by each renewal.
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (read once by the mapper)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self._state is None:
            self._state = DRAFT

    @hybrid_property
    def state(self) -> str:
        return self._state

    @state.inplace.setter
    def _state_setter(self, value: str) -> None:
        raise StateIsReadOnly(
            f"the state of permit case {self.id} cannot be set to {value!r} directly: "
            "fire an event with workflows.permit_workflow.fire"
        )

    @property
    def paid(self) -> bool:
        return self.paid_at is not None


class PermitEvent(Base):
    """One transition of one permit case: an append-only history, never updated or deleted."""

    __tablename__ = "permit_events"
    #: The service-quality figures look decisions and requests for information up by event and time.
    __table_args__ = (Index("ix_permit_events_event_at", "event", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    permit_case_id: Mapped[int] = mapped_column(ForeignKey("permit_cases.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # None: the system
    event: Mapped[str] = mapped_column(String(64))  # the trigger fired
    from_state: Mapped[str] = mapped_column(String(64))
    to_state: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(Consent, "before_update")
@event.listens_for(Consent, "before_delete")
@event.listens_for(PermitEvent, "before_update")
@event.listens_for(PermitEvent, "before_delete")
def _history_is_append_only(_mapper, _connection, target: PermitEvent | Consent) -> None:
    raise ValueError(f"{type(target).__name__} {target.id} is history: it cannot be changed or deleted")


class WorkflowDefinition(Base):
    """A pack workflow's whole definition, under the key its permit cases store.

    Written when the first case following it is opened, and read back when a process meets
    a case whose workflow it has not compiled (after a restart, or once the pack changed):
    the case goes on with exactly the definition it was opened with. Never changed: the key
    holds a digest of the definition.
    """

    __tablename__ = "workflow_definitions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # <jurisdiction>:<name>:<digest>
    definition: Mapped[dict] = mapped_column(JSON)  # workflow_templates.template_definition
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(WorkflowDefinition, "before_update")
@event.listens_for(WorkflowDefinition, "before_delete")
def _definitions_are_immutable(_mapper, _connection, target: WorkflowDefinition) -> None:
    raise ValueError(
        f"workflow definition {target.key} is pinned by its cases: it cannot be changed or deleted"
    )


# The other tables of the same schema: the audit log, the outbox, money, licences, the survey and renewals.
import licences.models  # noqa: E402, F401
import workflows.audit.models  # noqa: E402
import workflows.notifications.models  # noqa: E402
import workflows.payments.models  # noqa: E402
import workflows.quality.models  # noqa: E402
import workflows.renewals.models  # noqa: E402, F401
