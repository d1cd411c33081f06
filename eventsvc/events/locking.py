"""The event's row lock: every change to an event's seats or messages takes it first.

Two requests for the same event then take turns, on PostgreSQL (``SELECT … FOR UPDATE``) and
on SQLite (the first write of a transaction takes the database's write lock).
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, select, update

from eventsvc.events.models import Event
from eventsvc.extensions import db


def lock_event(event: Event) -> Event:
    """Lock the event's row for the rest of the transaction and reload it."""
    params = {"event_id": event.id}
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: the first write of a transaction takes the database's write
        # lock, which every other writer waits for (busy timeout). This write changes nothing.
        db.session.execute(_lock_queries()[0], params)
        return db.session.scalars(_lock_queries()[1], params).one()
    return db.session.scalars(_lock_queries()[2], params).one()


@cache
def _lock_queries() -> tuple:
    """Build the statements of :func:`lock_event` once (SQLite's write, reload, FOR UPDATE)."""
    this_event = Event.id == bindparam("event_id")
    reload = select(Event).where(this_event).execution_options(populate_existing=True)
    return (
        update(Event).where(this_event).values(updated_dt=Event.updated_dt),
        reload,
        reload.with_for_update(),
    )
