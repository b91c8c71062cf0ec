"""Tables of the money side: invoices, payments, refunds, the double-entry ledger, webhook events.

Every amount is integer cents (CAD). Ledger entries are signed: a debit is positive, a
credit negative, so the entries of one transaction always add up to zero. Ledger rows,
refunds and processed webhook events are history: never updated or deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.db import Base, UTCDateTime, utcnow


class Invoice(Base):
    """The one bill of an application, made on submission: a line per permit.

    A renewal has a bill of its own (`renewal_id`); an application has one first bill at most.
    """

    __tablename__ = "invoices"
    __table_args__ = (
        Index(
            "uq_invoices_first_bill",
            "application_id",
            unique=True,
            sqlite_where=text("renewal_id IS NULL"),
            postgresql_where=text("renewal_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    renewal_id: Mapped[int | None] = mapped_column(ForeignKey("renewals.id"), unique=True)
    total_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[InvoiceLine]] = relationship(order_by="InvoiceLine.id", lazy="selectin")


class InvoiceLine(Base):
    """One permit's fee, the agency that receives it and the account it is booked to."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    permit_code: Mapped[str] = mapped_column(String(64))
    agency_code: Mapped[str] = mapped_column(String(32), index=True)
    gl_account: Mapped[str] = mapped_column(String(64))
    basis: Mapped[str] = mapped_column(String(16))  # flat, per_unit, minimum, band (workflows.fees.Charge)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cents: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    unit_question: Mapped[str | None] = mapped_column(String(64))
    band_up_to: Mapped[int | None] = mapped_column(Integer)
    refundable: Mapped[bool] = mapped_column(Boolean)
    #: Set when the permit was withdrawn before payment: the line is then not charged.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Payment(Base):
    """One attempt to pay an invoice, named by the client's Idempotency-Key.

    The same key always answers with the same payment; `request_sha256` tells a true
    retry from a different request reusing a key.
    """

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("application_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # succeeded, declined, failed
    amount_cents: Mapped[int] = mapped_column(Integer)
    processor: Mapped[str] = mapped_column(String(32))
    processor_reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    decline_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # by the processor's webhook
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the newest webhook event applied


class Refund(Base):
    """An invoice line given back: at most once per line (unique)."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_line_id: Mapped[int] = mapped_column(ForeignKey("invoice_lines.id"), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))  # rejected, withdrawn
    processor_reference: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Disbursement(Base):
    """Money paid out to one agency: what it was owed up to `until`."""

    __tablename__ = "disbursements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(32), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerTransaction(Base):
    """One balanced set of entries: a payment, a refund or a disbursement."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # payment, refund, disbursement
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), unique=True)
    disbursement_id: Mapped[int | None] = mapped_column(ForeignKey("disbursements.id"), unique=True)
    memo: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    entries: Mapped[list[LedgerEntry]] = relationship(order_by="LedgerEntry.id", lazy="selectin")


class LedgerEntry(Base):
    """One side of a transaction on one account: positive is a debit, negative a credit."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account: Mapped[str] = mapped_column(String(64), index=True)  # e.g. processor:simulated, agency:TO-MLS
    agency_code: Mapped[str | None] = mapped_column(String(32), index=True)
    gl_account: Mapped[str | None] = mapped_column(String(64))
    invoice_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_lines.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)


class WebhookEvent(Base):
    """A processor event already applied: recorded in the same transaction as its effect, so an
    event delivered twice is applied once."""

    __tablename__ = "webhook_events"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(32))  # applied, stale, unknown_payment
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(LedgerTransaction, "before_update")
@event.listens_for(LedgerTransaction, "before_delete")
@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
@event.listens_for(Refund, "before_update")
@event.listens_for(Refund, "before_delete")
def _books_are_append_only(_mapper, _connection, target) -> None:
    raise ValueError(f"{type(target).__name__} {target.id} is in the books: it cannot be changed or deleted")
