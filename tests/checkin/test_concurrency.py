"""Two doors scanning the same code at the same moment: exactly one check-in.

The scans go through a served app from 16 client threads. A control test first removes the
guard (the ``checked_in_dt IS NULL`` condition) and shows the same harness admits a ticket
twice, so the real test cannot pass by accident.
"""

from __future__ import annotations

import json
import time
import uuid

from sqlalchemy import select

from eventsvc.checkin import services
from eventsvc.checkin.models import CheckIn
from eventsvc.extensions import db
from eventsvc.rsvps.models import Ticket
from tests.served import burst

SCANS_PER_TICKET = 8


def scans(served, door, tickets):
    requests = []
    for n in range(SCANS_PER_TICKET):
        for code in tickets:
            token = door["main"] if n % 2 == 0 else door["side"]
            requests.append(
                (
                    f"{served}/api/v1/events/{door['event_id']}/checkins",
                    None,
                    {
                        "json_body": {"code": code, "client_scan_id": str(uuid.uuid4())},
                        "headers": {"X-Door-Token": token},
                    },
                )
            )
    return requests


def test_control_without_the_guard_a_ticket_is_admitted_twice(app, served, door, monkeypatch):
    real_statement = services._admit_statement

    def unguarded(**kinds):
        """The admission without "not yet checked in", after a small delay."""
        time.sleep(0.005)
        return real_statement(**kinds, guarded=False)

    monkeypatch.setattr(services, "_admit_statement", unguarded)
    results = burst(scans(served, door, door["codes"]))
    verdicts = [json.loads(body)["result"] for status, body in results if status == 200]
    assert verdicts.count("ok") > len(door["codes"]), "no race: the real test proves nothing"


def test_same_code_at_two_doors_admits_exactly_once(app, served, door):
    results = burst(scans(served, door, door["codes"]))
    assert all(status == 200 for status, _ in results), results[:3]
    answers = [json.loads(body) for _, body in results]
    for code_index in range(len(door["tickets"])):
        mine = answers[code_index :: len(door["codes"])]
        ok = [a for a in mine if a["result"] == "ok"]
        already = [a for a in mine if a["result"] == "already_checked_in"]
        assert len(ok) == 1 and len(already) == SCANS_PER_TICKET - 1
        # Everyone refused is told the first one's time and door.
        assert {a["checked_in_at"] for a in already} == {ok[0]["checked_in_at"]}
        assert {a["door"] for a in already} == {ok[0]["door"]}
    with app.app_context():
        admitted = db.session.scalars(select(CheckIn).where(CheckIn.result == "ok")).all()
        assert sorted(c.ticket_id for c in admitted) == sorted(door["tickets"])
        assert all(
            t.checked_in_dt is not None
            for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(door["tickets"])))
        )
        assert db.session.query(CheckIn).count() == SCANS_PER_TICKET * len(door["codes"])


def test_retries_of_one_scan_from_many_threads_are_one_check_in(app, served, door):
    scan_id = str(uuid.uuid4())
    request = (
        f"{served}/api/v1/events/{door['event_id']}/checkins",
        None,
        {
            "json_body": {"code": door["codes"][0], "client_scan_id": scan_id},
            "headers": {"X-Door-Token": door["main"]},
        },
    )
    answers = [json.loads(body) for _, body in burst([request] * 16)]
    assert {a["result"] for a in answers} == {"ok"}  # never a false "already checked in"
    assert sum(not a["replay"] for a in answers) == 1
    with app.app_context():
        assert db.session.query(CheckIn).count() == 1
