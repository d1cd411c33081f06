"""RSVPs and the tickets (one per person of a party) they hold."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from eventsvc.db import TitledEnum, UTCDateTime, enum_type, utc_now
from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.i18n import _l

if TYPE_CHECKING:
    from eventsvc.auth.models import StaffUser
    from eventsvc.checkin.models import DoorPass
    from eventsvc.events.models import Event
    from eventsvc.mail.models import OutboxMessage


class RsvpStatus(TitledEnum):
    """Whether the party has seats, waits for them, or gave them up."""

    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"

    __titles__ = {
        "confirmed": _l("Confirmed"),
        "waitlisted": _l("Waiting list"),
        "cancelled": _l("Cancelled"),
    }


class TicketStatus(TitledEnum):
    """Whether a ticket admits its holder."""

    active = "active"
    void = "void"

    __titles__ = {
        "active": _l("Valid"),
        "void": _l("Void"),
    }


class Rsvp(db.Model):
    """One person's answer to an event, for themselves and their guests."""

    __tablename__ = "rsvps"
    __table_args__ = (
        CheckConstraint("party_size >= 1", name="party_size_positive"),
        # The public form asks for an email or a phone; staff may add a walk-in without either.
        CheckConstraint(
            "added_by_staff OR is_anonymised OR email IS NOT NULL OR phone IS NOT NULL",
            name="reachable",
        ),
        # Lookups by address (the holder of an address, the door); not unique: a second RSVP
        # with a taken email or phone is a party of its own (see rsvps.services.submit_rsvp).
        Index("ix_rsvps_event_id_email", "event_id", "email"),
        Index("ix_rsvps_event_id_phone", "event_id", "phone"),
        Index("ix_rsvps_event_id_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    name: Mapped[str] = mapped_column(String(120))
    #: Stored lower-case; email and/or phone, at least one until the RSVP is anonymised.
    email: Mapped[str | None] = mapped_column(String(254))
    #: E.164, e.g. "+19093614588".
    phone: Mapped[str | None] = mapped_column(String(20))
    #: Language of messages to this person ("en" or "es").
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: People covered, the person who answered included.
    party_size: Mapped[int] = mapped_column(default=1)
    status: Mapped[RsvpStatus] = mapped_column(
        enum_type(RsvpStatus),
        default=RsvpStatus.confirmed,
    )
    #: When the party joined the waiting list; promotion goes in this order.
    waitlisted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    access_needs: Mapped[str] = mapped_column(Text, default="")
    #: Language interpretation asked for, e.g. "Mixteco", "ASL"; empty for none.
    interpretation_request: Mapped[str] = mapped_column(String(200), default="")
    #: The person agreed to hear from the coalition about future events.
    consent_contact: Mapped[bool] = mapped_column(default=False)
    #: sha256 hex of the secret in the person's manage link (/rsvp/<token>).
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Random; the link's token is an HMAC of it under the app's secret key, so mail sent later
    #: (promotion, reminder) can carry the link while the database alone cannot make one.
    manage_token_salt: Mapped[str] = mapped_column(String(32))
    #: sha256 hex of the random key of the form that created it: a double-clicked submit repeats
    #: it. Hashed, so a copy of the database cannot replay a form to get the private link.
    submission_key: Mapped[str | None] = mapped_column(String(64))
    #: Random; the personal calendar feed's token is an HMAC of it ("rsvp-feed"), a read-only
    #: link of its own. RSVPs sharing a salt form one feed (a "feed group"); a new RSVP starts
    #: its own group, so a feed never lists RSVPs whose owner is not proven to be the same.
    feed_token_salt: Mapped[str] = mapped_column(String(32))
    #: sha256 hex of the feed token (/rsvp/<feed-token>/calendar.ics). In a group of several,
    #: one RSVP holds the link's hash and the others the hash of a random secret nobody has.
    feed_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Set when this RSVP was made with the email ("email") or only the phone ("phone") of
    #: another live RSVP of the event: organisers see it flagged, and nothing of this RSVP is
    #: mailed to a shared email (its holder did not make it) but the holder's notice.
    shared_contact: Mapped[str | None] = mapped_column(String(8))
    #: sha256 hex of the token of the one-click "this was not me, cancel it" link mailed to the
    #: holder of the shared address ("rsvp-disown", an HMAC of manage_token_salt); else None.
    disown_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)
    cancelled_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Personal data was purged (retention or the person's request); counts are kept.
    is_anonymised: Mapped[bool] = mapped_column(default=False)
    #: Added by hand in the back office (a walk-in, a phone call), not through the public form.
    added_by_staff: Mapped[bool] = mapped_column(default=False, server_default=false())
    anonymised_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="rsvps")
    tickets: Mapped[list[Ticket]] = relationship(
        back_populates="rsvp",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Ticket.position",
    )
    #: Its messages, never loaded: adding one to a new RSVP writes both in one flush.
    messages: WriteOnlyMapped[OutboxMessage] = relationship(passive_deletes=True)

    @property
    def is_confirmed(self) -> bool:
        """Return whether the party holds seats."""
        return self.status == RsvpStatus.confirmed

    @property
    def is_waitlisted(self) -> bool:
        """Return whether the party waits for seats."""
        return self.status == RsvpStatus.waitlisted

    @property
    def is_cancelled(self) -> bool:
        """Return whether the RSVP was given up."""
        return self.status == RsvpStatus.cancelled

    @property
    def shares_email(self) -> bool:
        """Return whether its email belonged to another live RSVP of the event when it was made."""
        return self.shared_contact == "email"

    def confirm(self) -> None:
        """Give the party its seats (a new RSVP, or a promotion from the waiting list)."""
        if self.is_cancelled:
            raise DomainError("rsvp_cancelled")
        self.status = RsvpStatus.confirmed

    def waitlist(self, now: datetime) -> None:
        """Put the party on the waiting list, at the back."""
        if self.is_cancelled:
            raise DomainError("rsvp_cancelled")
        self.status = RsvpStatus.waitlisted
        self.waitlisted_dt = now

    def cancel(self, now: datetime) -> None:
        """Give up the seats or the place on the waiting list; void every ticket."""
        if self.is_cancelled:
            return
        self.status = RsvpStatus.cancelled
        self.cancelled_dt = now
        for ticket in self.tickets:
            ticket.void()

    def anonymise(self, now: datetime) -> None:
        """Purge the personal data, keeping the party size and status for the counts."""
        self.name = ""
        self.email = None
        self.phone = None
        self.access_needs = ""
        self.interpretation_request = ""
        self.consent_contact = False
        self.is_anonymised = True
        self.anonymised_dt = now

    def __repr__(self) -> str:
        return f"<Rsvp {self.id} event={self.event_id} {self.status} x{self.party_size}>"


class Ticket(db.Model):
    """The admission of one person of a party; its secret is what the QR code carries."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("rsvp_id", "position"),
        CheckConstraint("position >= 1", name="position_positive"),
        Index("ix_tickets_event_id_changed_dt", "event_id", "changed_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rsvp_id: Mapped[int] = mapped_column(ForeignKey("rsvps.id", ondelete="CASCADE"))
    #: Denormalised from the RSVP so the door looks tickets up by event without a join.
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: 1 for the person who answered, 2… for their guests.
    position: Mapped[int] = mapped_column(default=1)
    #: Random secret the signed QR payload is made from.
    secret: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[TicketStatus] = mapped_column(
        enum_type(TicketStatus),
        default=TicketStatus.active,
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    checked_in_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_door_id: Mapped[int | None] = mapped_column(
        ForeignKey("door_passes.id", ondelete="SET NULL")
    )
    checked_in_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    #: Set by every UPDATE of the row (check-in, undo, void, purge): the door's offline snapshot
    #: sends only the tickets changed since its last copy (checkin/snapshot.py).
    changed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)

    rsvp: Mapped[Rsvp] = relationship(back_populates="tickets")
    event: Mapped[Event] = relationship()
    checked_in_door: Mapped[DoorPass | None] = relationship()
    checked_in_by_staff: Mapped[StaffUser | None] = relationship()

    @property
    def is_active(self) -> bool:
        """Return whether the ticket admits its holder."""
        return self.status == TicketStatus.active

    @property
    def is_checked_in(self) -> bool:
        """Return whether the holder has come in."""
        return self.checked_in_dt is not None

    def check_in(
        self, now: datetime, *, door: DoorPass | None = None, staff: StaffUser | None = None
    ) -> None:
        """Record that the holder came in, through which door and by whom.

        The service makes this race-safe with a conditional UPDATE; this is the in-memory twin.
        """
        self.checked_in_dt = now
        self.checked_in_door = door
        self.checked_in_by_staff = staff

    def undo_check_in(self) -> None:
        """Forget a check-in made by mistake."""
        self.checked_in_dt = None
        self.checked_in_door = None
        self.checked_in_by_staff = None

    def void(self) -> None:
        """Make the ticket stop admitting its holder."""
        self.status = TicketStatus.void

    def __repr__(self) -> str:
        return f"<Ticket {self.id} rsvp={self.rsvp_id} #{self.position} {self.status}>"
