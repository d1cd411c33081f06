"""The anniversary series and its events."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsvc.core.models import BilingualMixin
from eventsvc.db import TitledEnum, UTCDateTime, enum_type, utc_now
from eventsvc.errors import DomainError
from eventsvc.extensions import db
from eventsvc.i18n import _l

if TYPE_CHECKING:
    from eventsvc.checkin.models import DoorPass
    from eventsvc.rsvps.models import Rsvp

#: Default IANA time zone of a series and its events (the coalition is in the Inland Empire).
DEFAULT_TIMEZONE = "America/Los_Angeles"


class EventStatus(TitledEnum):
    """Where an event is in its life: only published events are public."""

    draft = "draft"
    published = "published"
    cancelled = "cancelled"

    __titles__ = {
        "draft": _l("Draft"),
        "published": _l("Published"),
        "cancelled": _l("Cancelled"),
    }


class Series(BilingualMixin, db.Model):
    """A series of events, e.g. the coalition's 15th anniversary year."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_es: Mapped[str | None] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_es: Mapped[str | None] = mapped_column(Text)
    #: IANA name; the zone of the series' calendar feed and the default of its new events.
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    events: Mapped[list[Event]] = relationship(back_populates="series", order_by="Event.start_dt")

    def title(self, locale: object) -> str:
        """Return the title in locale's language, else English."""
        return self.localised("title", locale)

    def description(self, locale: object) -> str:
        """Return the description in locale's language, else English."""
        return self.localised("description", locale)

    def __repr__(self) -> str:
        return f"<Series {self.id} {self.slug}>"


class Event(BilingualMixin, db.Model):
    """One event of a series: when and where, how many may come, and whether it is public."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("end_dt > start_dt", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("guest_limit >= 0", name="guest_limit_not_negative"),
        CheckConstraint("ical_sequence >= 0", name="ical_sequence_not_negative"),
        CheckConstraint(
            "rsvp_opens_dt IS NULL OR rsvp_closes_dt IS NULL OR rsvp_closes_dt > rsvp_opens_dt",
            name="rsvp_window_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_es: Mapped[str | None] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_es: Mapped[str | None] = mapped_column(Text)
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    #: IANA name; times are stored in UTC and shown in this zone.
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    venue_address: Mapped[str] = mapped_column(String(300), default="")
    accessibility_notes_en: Mapped[str] = mapped_column(Text, default="")
    accessibility_notes_es: Mapped[str | None] = mapped_column(Text)
    #: Free text, e.g. "Hosted by X and Y"; shown as written.
    host_organisations: Mapped[str] = mapped_column(Text, default="")
    #: Seats in total, counting every person of a party.
    capacity: Mapped[int]
    #: Most extra guests one RSVP may bring (party size is at most guest_limit + 1).
    guest_limit: Mapped[int] = mapped_column(default=0)
    #: RSVP window; open from publication when unset, closed at the end of the event when unset.
    rsvp_opens_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rsvp_closes_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[EventStatus] = mapped_column(
        enum_type(EventStatus),
        default=EventStatus.draft,
    )
    #: iCalendar SEQUENCE: bumped on every change subscribers must see (time, place, cancellation).
    ical_sequence: Mapped[int] = mapped_column(default=0)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)
    #: When the retention purge erased its attendees' personal data (counts stay); None before.
    purged_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    series: Mapped[Series] = relationship(back_populates="events")
    rsvps: Mapped[list[Rsvp]] = relationship(back_populates="event", order_by="Rsvp.created_dt")
    door_passes: Mapped[list[DoorPass]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )

    def title(self, locale: object) -> str:
        """Return the title in locale's language, else English."""
        return self.localised("title", locale)

    def description(self, locale: object) -> str:
        """Return the description in locale's language, else English."""
        return self.localised("description", locale)

    def accessibility_notes(self, locale: object) -> str:
        """Return the accessibility notes in locale's language, else English."""
        return self.localised("accessibility_notes", locale)

    @property
    def is_published(self) -> bool:
        """Return whether the public can see this event."""
        return self.status == EventStatus.published

    @property
    def is_cancelled(self) -> bool:
        """Return whether the event was called off."""
        return self.status == EventStatus.cancelled

    @property
    def max_party_size(self) -> int:
        """Return how many people one RSVP may cover."""
        return self.guest_limit + 1

    def rsvp_is_open(self, now: datetime) -> bool:
        """Return whether RSVPs are accepted at now (published, inside the RSVP window)."""
        if not self.is_published:
            return False
        if self.rsvp_opens_dt is not None and now < self.rsvp_opens_dt:
            return False
        return now < (self.rsvp_closes_dt or self.end_dt)

    def has_ended(self, now: datetime) -> bool:
        """Return whether the event is over at now."""
        return now >= self.end_dt

    def bump_sequence(self) -> None:
        """Tell calendar clients that this event changed (call after a change they must see)."""
        self.ical_sequence = (self.ical_sequence or 0) + 1

    def publish(self) -> None:
        """Make a draft public; a cancelled event stays cancelled."""
        if self.is_cancelled:
            raise DomainError("event_cancelled")
        self.status = EventStatus.published

    def cancel(self) -> None:
        """Call the event off; calendars show it as cancelled."""
        if not self.is_cancelled:
            self.status = EventStatus.cancelled
            self.bump_sequence()

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.slug} {self.status}>"
