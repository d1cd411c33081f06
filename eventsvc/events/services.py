"""Use cases of the series and its events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from eventsvc.db import utc_now
from eventsvc.events.models import Event, EventStatus, Series
from eventsvc.extensions import db


def get_series_by_slug(slug: str) -> Series | None:
    """Return the series with this slug, or None."""
    return db.session.scalar(select(Series).where(Series.slug == slug))


def main_series() -> Series | None:
    """Return the series the site celebrates (the oldest one)."""
    return db.session.scalar(select(Series).order_by(Series.id).limit(1))


def upcoming_events(*, limit: int | None = None, now: datetime | None = None) -> list[Event]:
    """Return published and cancelled events that have not ended yet, soonest first."""
    query = (
        select(Event)
        .where(
            Event.status.in_([EventStatus.published, EventStatus.cancelled]),
            Event.end_dt > (now or utc_now()),
        )
        .order_by(Event.start_dt, Event.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def past_events(*, limit: int = 50, now: datetime | None = None) -> list[Event]:
    """Return published and cancelled events that are over, most recent first."""
    return list(
        db.session.scalars(
            select(Event)
            .where(
                Event.status.in_([EventStatus.published, EventStatus.cancelled]),
                Event.end_dt <= (now or utc_now()),
            )
            .order_by(Event.start_dt.desc(), Event.id.desc())
            .limit(limit)
        )
    )


def get_public_event(slug: str) -> Event | None:
    """Return the published or cancelled event with this slug; drafts stay hidden."""
    return db.session.scalar(
        select(Event).where(
            Event.slug == slug,
            Event.status.in_([EventStatus.published, EventStatus.cancelled]),
        )
    )
