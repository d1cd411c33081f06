"""Signing up twice at the same moment still makes one membership (PostgreSQL and SQLite)."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from eventsvc.extensions import db
from eventsvc.membership import services
from eventsvc.membership.models import Member
from tests.membership.conftest import join_form
from tests.served import THREADS, burst


def same_person_burst(base: str) -> list[tuple[str, dict]]:
    return [(f"{base}/join", join_form(city=f"City {n}")) for n in range(THREADS)]


def member_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Member))


def test_control_without_the_lock_the_harness_duplicates(app, served, monkeypatch):
    monkeypatch.setattr(services, "_take_turns", lambda key: None)
    original = services._live_member_for

    def slow_lookup(email, phone):
        found = original(email, phone)
        time.sleep(0.05)  # widen the window between the read and the write
        return found

    monkeypatch.setattr(services, "_live_member_for", slow_lookup)
    statuses = [status for status, _ in burst(same_person_burst(served))]
    assert set(statuses) == {303}
    assert member_count(app) > 1


def test_simultaneous_sign_ups_of_one_address_make_one_member(app, served):
    statuses = [status for status, _ in burst(same_person_burst(served))]
    assert set(statuses) == {303}
    assert member_count(app) == 1
