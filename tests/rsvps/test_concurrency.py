"""Seats are never oversold under a burst of concurrent requests to a served app.

Each test serves the real app (CSRF aside) from a threaded server on 127.0.0.1 and fires the
requests from 16 client threads, so every request has its own connection and session. The
control test first removes the guard and shows that the same harness does oversell, so the
real tests cannot pass by accident.
"""

from __future__ import annotations

import time

from sqlalchemy import select

from eventsvc.events.models import Event
from eventsvc.extensions import db
from eventsvc.rsvps import services
from eventsvc.rsvps.links import manage_token
from eventsvc.rsvps.models import Rsvp, RsvpStatus, TicketStatus
from eventsvc.rsvps.services import RsvpData, submit_rsvp
from tests.served import burst


def rsvp_requests(base: str, slug: str, count: int, start: int = 0) -> list[tuple[str, dict]]:
    return [
        (
            f"{base}/events/{slug}",
            {
                "name": f"Guest {n}",
                "email": f"guest{n}@example.org",
                "language": "en",
                "party_size": "1",
            },
        )
        for n in range(start, start + count)
    ]


def seats_and_waitlist(app, event_id):
    with app.app_context():
        rows = db.session.scalars(
            select(Rsvp).where(Rsvp.event_id == event_id).order_by(Rsvp.id)
        ).all()
        confirmed = [r for r in rows if r.status == RsvpStatus.confirmed]
        waiting = [r for r in rows if r.status == RsvpStatus.waitlisted]
        waiting_order = [r.id for r in sorted(waiting, key=lambda r: (r.waitlisted_dt, r.id))]
        tickets = sum(1 for r in confirmed for t in r.tickets if t.status == TicketStatus.active)
        return rows, confirmed, waiting, waiting_order, tickets


def test_control_without_the_guard_the_harness_oversells(app, served, make_event, monkeypatch):
    event_id = make_event(capacity=50, guest_limit=0)
    real_counts = services.submit_counts

    def slow_counts(*args):
        counts = real_counts(*args)
        time.sleep(0.005)  # widen the gap between reading the seats and taking them
        return counts

    monkeypatch.setattr(services, "lock_event", lambda event: event)
    monkeypatch.setattr(services, "submit_counts", slow_counts)
    with app.app_context():
        slug = db.session.get(Event, event_id).slug
    results = burst(rsvp_requests(served, slug, 200))
    assert all(status == 303 for status, _ in results)
    _, confirmed, _, _, _ = seats_and_waitlist(app, event_id)
    assert len(confirmed) > 50, "the harness did not produce a race: the real test proves nothing"


def test_thousand_concurrent_rsvps_for_five_hundred_seats(app, served, make_event):
    event_id = make_event(capacity=500, guest_limit=0)
    with app.app_context():
        slug = db.session.get(Event, event_id).slug
    results = burst(rsvp_requests(served, slug, 1000))

    assert [status for status, _ in results].count(303) == 1000  # no error responses
    assert all("/rsvp/" in location for _, location in results)
    rows, confirmed, waiting, waiting_order, tickets = seats_and_waitlist(app, event_id)
    assert len(rows) == 1000  # no RSVP lost
    assert len(confirmed) == 500 and tickets == 500
    assert len(waiting) == 500
    # First come, first served: every confirmed RSVP was taken before every waiting one, and
    # the waitlist's order is the order they arrived in.
    assert max(r.id for r in confirmed) < min(r.id for r in waiting)
    assert waiting_order == sorted(r.id for r in waiting)
    assert len({r.email for r in rows}) == 1000


def test_cancellations_racing_promotions_and_new_rsvps(app, served, make_event):
    event_id = make_event(capacity=100, guest_limit=0)
    with app.app_context():
        event = db.session.get(Event, event_id)
        slug = event.slug
        outcomes = [
            submit_rsvp(
                event,
                RsvpData(
                    name=f"P{n}", email=f"p{n}@example.org", phone=None, language="es", party_size=1
                ),
            )
            for n in range(200)
        ]
        db.session.commit()
        confirmed_ids = [o.rsvp.id for o in outcomes[:100]]
        waiting_ids = [o.rsvp.id for o in outcomes[100:]]
        cancel_tokens = [manage_token(o.rsvp) for o in outcomes[:60]]
    requests = [(f"{served}/rsvp/{token}/cancel", {}) for token in cancel_tokens]
    requests += rsvp_requests(served, slug, 40, start=1000)
    requests = requests[::2] + requests[1::2]  # interleave cancellations and new RSVPs
    results = burst(requests)

    assert all(status == 303 for status, _ in results), results
    rows, confirmed, waiting, waiting_order, tickets = seats_and_waitlist(app, event_id)
    assert len(rows) == 240
    assert len(confirmed) == 100 and tickets == 100  # every freed seat was given again
    promoted = {r.id for r in confirmed} - set(confirmed_ids)
    assert promoted == set(waiting_ids[:60])  # the head of the waitlist, in order
    new_ids = {r.id for r in rows} - set(confirmed_ids) - set(waiting_ids)
    assert len(new_ids) == 40
    assert waiting_order[:40] == waiting_ids[60:]  # the old waitlist keeps its place…
    assert set(waiting_order[40:]) == new_ids  # …and newcomers queue behind it
