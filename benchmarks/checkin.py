"""Door check-in under load: scans per second and latency through gunicorn, beside a ceiling.

Prepares a fresh database (as rsvp_burst.py does), creates an event with --tickets confirmed
tickets and a door link, starts gunicorn (2 workers) on 127.0.0.1 and lets client threads POST
scans to /api/v1/events/<id>/checkins with the door token: first scans (every ticket once, each
admitted) and then repeat scans (the same codes again, each refused as already checked in), at
each --concurrency level. For comparison it runs the same load against a trivial Flask app that
does one indexed UPDATE of a ticket per request on the same database (benchmarks/ceiling_app.py):
the ceiling of this stack on this machine.

    .venv/bin/python benchmarks/checkin.py --database postgresql
    .venv/bin/python benchmarks/checkin.py --database sqlite --concurrency 1 8 32

Only talks to 127.0.0.1. Not part of the test run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rsvp_burst as harness  # noqa: E402  (shared: databases, gunicorn, clean-up)

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_checkin"


@dataclass
class Load:
    """What one load run measured."""

    wall: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def line(self, label: str) -> str:
        lat = sorted(self.latencies)
        q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
        rate = len(lat) / self.wall
        return (
            f"  {label:<28} {rate:8.1f}/s   p50 {q[49] * 1000:6.1f} ms   "
            f"p99 {q[98] * 1000:6.1f} ms   {self.statuses}"
        )


def prepare_tickets(target, count: int) -> tuple[int, str, list[str], list[int]]:
    """Create confirmed RSVPs (one ticket each) and a door link; return ids, token and codes."""
    from eventsvc.checkin.doors import create_door_pass, door_pass_token
    from eventsvc.db import utc_now
    from eventsvc.events.models import Event
    from eventsvc.extensions import db
    from eventsvc.rsvps.services import RsvpData, submit_rsvp
    from eventsvc.rsvps.tickets import ticket_code

    app = harness.app_for(target)
    with app.app_context():
        event = db.session.scalar(db.select(Event).where(Event.slug == harness.SLUG))
        # Doors open today: a scan outside the event's day only asks to confirm (wrong_day).
        event.start_dt = utc_now() + timedelta(minutes=30)
        event.end_dt = event.start_dt + timedelta(hours=3)
        outcomes = [
            submit_rsvp(
                event,
                RsvpData(
                    name=f"Guest {n}",
                    email=f"g{n}@example.org",
                    phone=None,
                    language="en",
                    party_size=1,
                ),
            )
            for n in range(count)
        ]
        door = create_door_pass(event, "Main entrance")
        db.session.commit()
        codes = [ticket_code(o.rsvp.tickets[0]) for o in outcomes]
        ids = [o.rsvp.tickets[0].id for o in outcomes]
        result = (event.id, door_pass_token(door), codes, ids)
    harness.dispose(app)
    return result


def load(port: int, requests: list[tuple[str, bytes, dict]], concurrency: int) -> Load:
    """Send the requests from `concurrency` keep-alive clients; time each one."""
    result = Load()
    lock = threading.Lock()
    position = iter(range(len(requests)))

    def client():
        conn = http.client.HTTPConnection(harness.HOST, port, timeout=30)
        mine: list[float] = []
        statuses: dict[str, int] = {}
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                break
            path, body, headers = requests[index]
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            mine.append(time.perf_counter() - started)
            key = str(response.status)
            if response.status == 200 and payload.startswith(b"{"):
                key = json.loads(payload).get("result", key)
            statuses[key] = statuses.get(key, 0) + 1
        conn.close()
        with lock:
            result.latencies.extend(mine)
            for key, value in statuses.items():
                result.statuses[key] = result.statuses.get(key, 0) + value

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.wall = time.perf_counter() - started
    return result


def scan_requests(event_id: int, token: str, codes: list[str]):
    headers = {"Content-Type": "application/json", "X-Door-Token": token}
    path = f"/api/v1/events/{event_id}/checkins"
    return [
        (path, json.dumps({"code": c, "client_scan_id": str(uuid.uuid4())}).encode(), headers)
        for c in codes
    ]


def reset_checkins(target, ticket_ids: list[int]) -> None:
    """Forget every check-in, so the next level scans first-time tickets again."""
    from sqlalchemy import update

    from eventsvc.checkin.models import CheckIn
    from eventsvc.extensions import db
    from eventsvc.rsvps.models import Ticket

    app = harness.app_for(target)
    with app.app_context():
        db.session.execute(db.delete(CheckIn))
        db.session.execute(
            update(Ticket)
            .where(Ticket.id.in_(ticket_ids))
            .values(checked_in_dt=None, checked_in_door_id=None)
        )
        db.session.commit()
    harness.dispose(app)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.database == "postgresql":
        harness.check_pg_url(args.pg_url)

    print(
        f"code {harness.code_version()}, database {args.database}, workers {args.workers}, "
        f"tickets {args.tickets}"
    )
    try:
        target = harness.prepare(args.database, args.pg_url, capacity=args.tickets)
        event_id, token, codes, ids = prepare_tickets(target, args.tickets)
        port = harness.free_port()
        with harness.gunicorn(target, args.workers, port, app="wsgi:app"):
            for concurrency in args.concurrency:
                reset_checkins(target, ids)
                first = load(port, scan_requests(event_id, token, codes), concurrency)
                repeat = load(port, scan_requests(event_id, token, codes), concurrency)
                print(f"concurrency {concurrency}:")
                print(first.line("eventsvc first scans"))
                print(repeat.line("eventsvc repeat scans"))
        ceiling_port = harness.free_port()
        with harness.gunicorn(
            target,
            args.workers,
            ceiling_port,
            app="ceiling_app:app",
            chdir=Path(__file__).resolve().parent,
        ):
            for concurrency in args.concurrency:
                requests = [(f"/touch/{i}", b"", {}) for i in ids]
                ceiling = load(ceiling_port, requests, concurrency)
                print(f"concurrency {concurrency}:")
                print(ceiling.line("ceiling: one UPDATE"))
    finally:
        harness.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
