"""Series feed: /calendar.ics with 500 events, through gunicorn, with and without a matching ETag.

Prepares a fresh database (SQLite file in a temporary folder, or the PostgreSQL database
bench_feeds with every table dropped), migrates it, creates --events events (mostly published,
some cancelled, a few drafts), starts gunicorn on 127.0.0.1, then for --seconds each lets
--concurrency client processes GET /calendar.ics?lang=en as fast as they can: once plainly
(200, the full feed) and once with If-None-Match set to the feed's ETag (304). Prints requests
per second and latency, then, in-process: the full render of the feed (query + build), the
builder alone, a cached 304, and the SQL statements of each kind of request.

    .venv/bin/python benchmarks/feeds.py --database postgresql --repeat 3
    .venv/bin/python benchmarks/feeds.py --database sqlite --repeat 3

Reuses the database and gunicorn helpers of rsvp_burst.py. Only talks to 127.0.0.1. Not part of
the test run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rsvp_burst  # noqa: E402  (the sibling script: database and gunicorn helpers)
from rsvp_burst import (  # noqa: E402
    HOST,
    ROOT,
    HardTimeout,
    Target,
    app_for,
    check_pg_url,
    code_version,
    dispose,
    free_port,
    gunicorn,
)

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_feeds"
PATH = "/calendar.ics?lang=en"


# --- preparing a database ---------------------------------------------------------------------


def prepare(kind: str, pg_url: str, count: int) -> Target:
    """Create a fresh, migrated database holding count events of one series."""
    return rsvp_burst.prepare(
        kind, pg_url, prefix="feeds-bench-", setup=lambda: create_events(count)
    )


def create_events(count: int) -> None:
    """Create count events a few days apart, bilingual, 1 in 10 cancelled, 1 in 25 a draft."""
    from eventsvc.db import utc_now
    from eventsvc.events.models import Event, EventStatus, Series
    from eventsvc.extensions import db

    series = Series(slug="bench", title_en="15 years together", title_es="15 años juntos")
    start = utc_now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    for n in range(count):
        status = (
            EventStatus.draft
            if n % 25 == 24
            else EventStatus.cancelled
            if n % 10 == 9
            else EventStatus.published
        )
        begins = start + timedelta(days=n // 3, hours=3 * (n % 3))
        db.session.add(
            Event(
                series=series,
                slug=f"bench-{n}",
                title_en=f"Know your rights workshop #{n}",
                title_es=f"Taller conoce tus derechos n.º {n}",
                description_en="What to do if immigration agents come to your door. " * 4,
                description_es="Qué hacer si llegan agentes de inmigración a tu puerta. " * 4,
                start_dt=begins,
                end_dt=begins + timedelta(hours=2),
                venue_name="Centro Comunitario",
                venue_address="123 Main St, Riverside, CA 92501",
                capacity=100,
                status=status,
                ical_sequence=n % 3,
            )
        )
    db.session.commit()


# --- the load ---------------------------------------------------------------------------------


def _client(port: int, request: bytes, start_at: float, seconds: float, queue) -> None:
    """One client process: a new connection per request (gunicorn's sync workers close it)."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            with socket.create_connection((HOST, port), timeout=30) as sock:
                sock.sendall(request)
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
        except OSError:
            statuses["error"] += 1
            continue
        latencies.append(time.perf_counter() - started)
        head = chunks[0][:12] if chunks else b""
        statuses[int(head[9:12]) if head.startswith(b"HTTP/1.") else "bad"] += 1
    queue.put((latencies, statuses))


def load(port: int, etag: str | None, concurrency: int, seconds: float) -> dict:
    """Run concurrency client processes for seconds; return rate, latencies and statuses."""
    lines = [f"GET {PATH} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
    if etag:
        lines.append(f"If-None-Match: {etag}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    start_at = time.time() + 0.3
    procs = [
        context.Process(target=_client, args=(port, request, start_at, seconds, queue))
        for _ in range(concurrency)
    ]
    for p in procs:
        p.start()
    latencies, statuses = [], Counter()
    for _ in procs:
        got, counted = queue.get(timeout=seconds + 60)
        latencies.extend(got)
        statuses.update(counted)
    for p in procs:
        p.join(timeout=10)
    ordered = sorted(latencies) or [0.0]
    return {
        "rate": len(latencies) / seconds,
        "p50": ordered[len(ordered) // 2] * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "statuses": dict(statuses),
    }


def fetch_etag(port: int) -> tuple[str, int]:
    """Return the feed's ETag and its size in bytes."""
    import http.client

    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", PATH)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {PATH} answered {response.status}")
    return response.getheader("ETag"), len(body)


# --- in-process: render time and statements ---------------------------------------------------


def in_process(target: Target, rounds: int) -> dict:
    """Time the full render (query + build), the builder alone and a cached 304; count SQL."""
    from sqlalchemy import event as sa_event
    from sqlalchemy import select

    from eventsvc.events import feeds
    from eventsvc.events.ical import build_calendar
    from eventsvc.events.models import Event
    from eventsvc.events.services import PUBLIC_STATUSES
    from eventsvc.extensions import db

    app = app_for(target)
    results: dict = {}
    try:
        with app.test_request_context("/"):
            renders, builds = [], []
            for _ in range(rounds):
                feeds._series_feeds.clear()  # a cold cache: the query and the whole render
                db.session.expunge_all()
                started = time.perf_counter()
                feed = feeds.series_feed("en")
                renders.append((time.perf_counter() - started) * 1000)
            events = list(
                db.session.scalars(
                    select(Event)
                    .where(Event.status.in_(PUBLIC_STATUSES))
                    .order_by(Event.start_dt, Event.id)
                )
            )
            footer = feeds.feed_footer("en")
            for _ in range(rounds):
                started = time.perf_counter()
                build_calendar(
                    events,
                    base_url=app.config["BASE_URL"],
                    language="en",
                    calendar_name="x",
                    footer=footer,
                    stable=True,
                    refresh_interval=feeds.FEED_REFRESH,
                )
                builds.append((time.perf_counter() - started) * 1000)
            results.update(
                render_ms=statistics.median(renders),
                build_ms=statistics.median(builds),
                events=len(events),
                bytes=len(feed.body),
            )
            engine = db.engine
        client = app.test_client()
        etag = client.get(PATH).headers["ETag"]
        started = time.perf_counter()
        for _ in range(rounds * 10):
            assert client.get(PATH, headers={"If-None-Match": etag}).status_code == 304
        results["not_modified_ms"] = (time.perf_counter() - started) / (rounds * 10) * 1000
        statements: list[str] = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        sa_event.listen(engine, "before_cursor_execute", listener)
        try:
            feeds._series_feeds.clear()
            client.get(PATH)
            results["sql_cold"] = len(statements)
            statements.clear()
            client.get(PATH)
            results["sql_warm"] = len(statements)
            statements.clear()
            client.get(PATH, headers={"If-None-Match": etag})
            results["sql_304"] = len(statements)
        finally:
            sa_event.remove(engine, "before_cursor_execute", listener)
    finally:
        dispose(app)
    return results


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--database-url", default=DEFAULT_PG_URL, help="PostgreSQL URL (default %(default)s)"
    )
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=5.0, help="per load phase")
    parser.add_argument("--concurrency", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--repeat", type=int, default=3, help="load phases of each kind (median)")
    parser.add_argument("--rounds", type=int, default=20, help="in-process timings (median)")
    parser.add_argument("--timeout", type=int, default=300, help="hard limit in seconds")
    args = parser.parse_args(argv)
    if min(args.events, args.concurrency, args.workers, args.repeat, args.rounds) < 1:
        parser.error("--events, --concurrency, --workers, --repeat and --rounds must be positive")
    if args.database == "postgresql":
        check_pg_url(args.database_url)
    os.environ.pop("EVENTSVC_DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    def on_alarm(signum, frame):
        raise HardTimeout(f"the run took longer than {args.timeout} s")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.timeout)
    print(f"code {code_version()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(
        f"database {args.database}, {args.events} events, workers {args.workers}, "
        f"client processes {args.concurrency}, {args.seconds:g} s a phase, repeat {args.repeat}"
    )
    phases: dict[str, list[dict]] = {"full 200": [], "304 (matching ETag)": []}
    try:
        target = prepare(args.database, args.database_url, args.events)
        port = args.port or free_port()
        with gunicorn(target, args.workers, port):
            etag, size = fetch_etag(port)
            for _ in range(args.workers * 2):  # every worker renders and caches once
                fetch_etag(port)
            print(f"feed: {size:,} bytes, ETag {etag}")
            for i in range(1, args.repeat + 1):
                for label, tag in (("full 200", None), ("304 (matching ETag)", etag)):
                    result = load(port, tag, args.concurrency, args.seconds)
                    phases[label].append(result)
                    print(
                        f"  run {i} {label:20} {result['rate']:8.1f} req/s   "
                        f"p50 {result['p50']:6.1f} ms  p99 {result['p99']:6.1f} ms  "
                        f"{result['statuses']}"
                    )
        inproc = in_process(target, args.rounds)
        signal.alarm(0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except HardTimeout as e:
        print(f"hard timeout: {e}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
        for tmpdir in rsvp_burst.TMPDIRS:
            shutil.rmtree(tmpdir, ignore_errors=True)
    print(f"median of {args.repeat} phases ({args.database}, gunicorn -w {args.workers}):")
    failed = False
    for label, results in phases.items():
        rates = [r["rate"] for r in results]
        p50s = [r["p50"] for r in results]
        print(
            f"  {label:20} {statistics.median(rates):8.1f} req/s (min {min(rates):.1f}, "
            f"max {max(rates):.1f})   p50 {statistics.median(p50s):.1f} ms"
        )
        bad = [s for r in results for s in r["statuses"] if s not in (200, 304)]
        failed = failed or bool(bad)
    print(
        f"in-process, {inproc['events']} events in the feed, {inproc['bytes']:,} bytes "
        f"(median of {args.rounds}):"
    )
    print(f"  full render (query + build, cold cache) {inproc['render_ms']:6.1f} ms  (target < 50)")
    print(f"  builder alone (build_calendar)          {inproc['build_ms']:6.1f} ms")
    print(f"  304 request (test client, warm)         {inproc['not_modified_ms']:6.2f} ms")
    print(
        f"  SQL statements: cold {inproc['sql_cold']}, warm {inproc['sql_warm']}, "
        f"304 {inproc['sql_304']}"
    )
    rate_304 = statistics.median(r["rate"] for r in phases["304 (matching ETag)"])
    print(
        "targets: 304 > 1000 req/s "
        + ("met" if rate_304 > 1000 else "NOT met")
        + ", render < 50 ms "
        + ("met" if inproc["render_ms"] < 50 else "NOT met")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
