"""RSVP burst: many people RSVP for one event at once, through gunicorn, over HTTP.

Prepares a fresh database (SQLite file in a temporary folder, or the PostgreSQL database
bench_rsvp with every table dropped), migrates it, creates one published event, starts gunicorn
on 127.0.0.1, and lets --concurrency client threads POST --requests RSVPs to /events/<slug>.
Prints throughput and latency, checks the capacity guarantee in the database, and counts the SQL
statements of one RSVP request in-process. Exits 1 when the guarantee does not hold.

    .venv/bin/python benchmarks/rsvp_burst.py --database postgresql --repeat 3
    .venv/bin/python benchmarks/rsvp_burst.py --database sqlite --repeat 3
    .venv/bin/python benchmarks/rsvp_burst.py --database postgresql --repeat 0 --profile 200

Only talks to 127.0.0.1. Not part of the test run.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import http.client
import io
import os
import pstats
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_rsvp"
#: Databases that belong to other people's test runs: never touched.
FORBIDDEN_DATABASES = re.compile(r"^(test|test_lead|test_helper_.*)$")
CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
INPUT_VALUE = re.compile(r"\bvalue=\"([^\"]*)\"")
RATE_LIMIT = "1000000 per minute"
SLUG = "bench-burst"
#: Temporary folders this process made; removed at exit, however it exits.
TMPDIRS: list[Path] = []


class HardTimeout(Exception):
    """The run took longer than --timeout seconds."""


# --- preparing a database ---------------------------------------------------------------------


@dataclass
class Target:
    """A prepared database and the instance folder the app keeps its keys in."""

    kind: str
    url: str
    instance: Path
    tmpdir: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTSVC_")}
        env.update(
            EVENTSVC_DATABASE_URL=self.url,
            EVENTSVC_INSTANCE_PATH=str(self.instance),
            EVENTSVC_RSVP_RATE_LIMIT=RATE_LIMIT,
            EVENTSVC_LOG_LEVEL="WARNING",
            EVENTSVC_RATELIMIT_STORAGE_URL="memory://",
        )
        return env


def check_pg_url(url: str) -> None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.host not in {HOST, "localhost"}:
        sys.exit(f"refusing a database that is not on {HOST}: {parsed.host}")
    if not parsed.database or FORBIDDEN_DATABASES.match(parsed.database):
        sys.exit(f"refusing database {parsed.database!r}: it belongs to the test runs")


def reset_postgres(url: str) -> None:
    """Drop every table (and type) of the benchmark database: the public schema is recreated."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        server.dispose()
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def prepare(
    kind: str, pg_url: str, capacity: int = 0, *, prefix: str = "rsvp-burst-", setup=None
) -> Target:
    """Create a fresh, migrated database; then setup() (default: one event of capacity seats)."""
    tmpdir = Path(tempfile.mkdtemp(prefix=prefix))
    TMPDIRS.append(tmpdir)
    instance = tmpdir / "instance"
    instance.mkdir()
    if kind == "sqlite":
        url = f"sqlite:///{tmpdir / 'bench.sqlite'}"
    else:
        url = pg_url
        reset_postgres(url)
    target = Target(kind, url, instance, tmpdir)
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=target.env(),
        check=True,
        capture_output=True,
        timeout=120,
    )
    app = app_for(target)
    try:
        with app.app_context():
            (setup or (lambda: create_event(SLUG, capacity)))()
    finally:
        dispose(app)
    return target


def app_for(target: Target, **overrides):
    from eventsvc import create_app

    return create_app(
        {
            "INSTANCE_PATH": str(target.instance),
            "SQLALCHEMY_DATABASE_URI": target.url,
            "RSVP_RATE_LIMIT": RATE_LIMIT,
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOG_LEVEL": "WARNING",
            **overrides,
        }
    )


def create_event(slug: str, capacity: int) -> int:
    """Create a published event (in the current app context) and return its id."""
    from eventsvc.db import utc_now
    from eventsvc.events.models import Event, EventStatus, Series
    from eventsvc.extensions import db

    series = db.session.scalar(db.select(Series)) or Series(
        slug="bench", title_en="Benchmark series", title_es="Serie de prueba"
    )
    start = utc_now() + timedelta(days=30)
    event = Event(
        series=series,
        slug=slug,
        title_en="Benchmark burst",
        title_es="Prueba de carga",
        description_en="An event that many people RSVP to at once.",
        start_dt=start,
        end_dt=start + timedelta(hours=3),
        capacity=capacity,
        guest_limit=0,
        status=EventStatus.published,
        venue_name="Hall",
        venue_address="Riverside, CA",
    )
    db.session.add(event)
    db.session.commit()
    return event.id


def dispose(app) -> None:
    from eventsvc.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- gunicorn ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(target: Target, workers: int, port: int, app: str = "wsgi:app", chdir: Path = ROOT):
    """Run gunicorn on 127.0.0.1:port until the block ends; stop it however the block ends."""
    log = open(target.tmpdir / "gunicorn.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"{HOST}:{port}", app],
        cwd=chdir,
        env=target.env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches us; we stop gunicorn ourselves
    )
    try:
        wait_healthy(proc, port, target)
        yield proc
    finally:
        stop(proc)
        log.close()


def wait_healthy(proc: subprocess.Popen, port: int, target: Target, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        time.sleep(0.1)
    tail = (target.tmpdir / "gunicorn.log").read_text(errors="replace")[-3000:]
    raise RuntimeError(f"gunicorn did not become healthy on port {port}:\n{tail}")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the master (graceful), then SIGKILL its process group after 15 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    # Workers left behind by a killed master are in the same (our own) process group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


# --- the burst --------------------------------------------------------------------------------


@dataclass
class Result:
    wall: float
    latencies: list[float]
    statuses: Counter
    errors: list[str] = field(default_factory=list)
    #: CPU seconds the gunicorn workers and this process (the clients) used during the burst.
    worker_cpu: float = 0.0
    client_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall

    def pct(self, p: float) -> float:
        """Return the p-th percentile latency in ms (nearest rank)."""
        ordered = sorted(self.latencies)
        index = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index] * 1000


def fetch_form(conn: http.client.HTTPConnection, path: str) -> tuple[str, str]:
    """GET the event page; return the CSRF token and the session cookie."""
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read().decode()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    tag = CSRF_INPUT.search(body)
    value = INPUT_VALUE.search(tag.group(0)) if tag else None
    if value is None:
        raise RuntimeError("no csrf_token in the event page")
    cookies = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
    return value.group(1), "; ".join(cookies)


def client(port: int, run_id: str, numbers: list[int], lock, result: Result, barrier) -> None:
    """One visitor's browser: one connection, one form load, then its share of the POSTs."""
    path = f"/events/{SLUG}"
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        token, cookie = fetch_form(conn, path)
    except Exception as e:  # noqa: BLE001 - reported and counted as a failure
        with lock:
            result.errors.append(f"form load: {e!r}")
        barrier.abort()
        return
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": cookie,
        "Referer": f"http://{HOST}:{port}{path}",
    }
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        return
    latencies, statuses, errors = [], Counter(), []
    for n in numbers:
        body = urllib.parse.urlencode(
            {
                "csrf_token": token,
                "submission_key": secrets.token_urlsafe(16),
                "name": f"Guest {n}",
                "email": f"guest-{run_id}-{n}@example.org",
                "phone": "",
                "language": "en",
                "party_size": "1",
            }
        )
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as e:
            conn.close()  # the next request reconnects
            errors.append(repr(e))
            statuses["error"] += 1
            continue
        latencies.append(time.perf_counter() - started)
        statuses[response.status] += 1
    conn.close()
    with lock:
        result.latencies.extend(latencies)
        result.statuses.update(statuses)
        result.errors.extend(errors)


def burst(port: int, requests: int, concurrency: int) -> Result:
    run_id = secrets.token_hex(3)
    result = Result(0.0, [], Counter())
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)
    shares = [list(range(i, requests, concurrency)) for i in range(concurrency)]
    threads = [
        threading.Thread(
            target=client, args=(port, run_id, share, lock, result, barrier), daemon=True
        )
        for share in shares
    ]
    for t in threads:
        t.start()
    try:
        barrier.wait(timeout=60)  # every client has its form: the burst starts together
    except threading.BrokenBarrierError:
        raise RuntimeError(f"clients could not load the form: {result.errors[:3]}") from None
    started = time.perf_counter()
    for t in threads:
        t.join()
    result.wall = time.perf_counter() - started
    return result


# --- checks in the database -------------------------------------------------------------------


def check_guarantee(target: Target, capacity: int, requests: int, result: Result) -> list[str]:
    """Return what is wrong with the event after the burst (empty when the guarantee holds)."""
    from sqlalchemy import func, select

    from eventsvc.events.models import Event
    from eventsvc.extensions import db
    from eventsvc.rsvps.models import Rsvp, RsvpStatus, Ticket, TicketStatus

    app = app_for(target)
    try:
        with app.app_context():
            event = db.session.scalar(select(Event).where(Event.slug == SLUG))
            rows = db.session.execute(
                select(Rsvp.status, func.count(), func.sum(Rsvp.party_size))
                .where(Rsvp.event_id == event.id)
                .group_by(Rsvp.status)
            ).all()
            tickets = db.session.scalar(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.event_id == event.id, Ticket.status == TicketStatus.active)
            )
    finally:
        dispose(app)
    by_status = {status: (count, int(seats or 0)) for status, count, seats in rows}
    confirmed_parties, seats = by_status.get(RsvpStatus.confirmed, (0, 0))
    waitlisted, _ = by_status.get(RsvpStatus.waitlisted, (0, 0))
    print(
        f"  database:    {seats} seats confirmed ({confirmed_parties} RSVPs), "
        f"{waitlisted} waitlisted, {tickets} active tickets, capacity {capacity}"
    )
    problems = []
    if seats != min(capacity, requests):
        problems.append(
            f"confirmed seats {seats} != min(capacity, requests) {min(capacity, requests)}"
        )
    if confirmed_parties + waitlisted != requests:
        problems.append(
            f"confirmed + waitlisted {confirmed_parties + waitlisted} != requests {requests}"
        )
    if tickets != seats:
        problems.append(f"active tickets {tickets} != confirmed seats {seats}")
    server_errors = sum(n for s, n in result.statuses.items() if isinstance(s, int) and s >= 500)
    if server_errors:
        problems.append(f"{server_errors} responses were 5xx")
    if result.statuses.get("error"):
        problems.append(f"{result.statuses['error']} requests failed: {result.errors[:3]}")
    return problems


# --- in-process: statements per RSVP, and a profile ----------------------------------------


def _form_post(client, slug: str, n: int):
    """Load the form (not counted), then return a callable that POSTs one RSVP.

    Every POST sends the session cookie of the form load, as the burst's clients do: the
    redirect is not followed, so a cookie kept from one POST to the next would pile up flash
    messages that a browser would have shown and dropped.
    """
    page = client.get(f"/events/{slug}")
    assert page.status_code == 200, page.status_code
    tag = CSRF_INPUT.search(page.get_data(as_text=True))
    token = INPUT_VALUE.search(tag.group(0)).group(1)
    cookie = "; ".join(v.split(";", 1)[0] for v in page.headers.getlist("Set-Cookie"))

    def post(i: int = n):
        return client.post(
            f"/events/{slug}",
            headers={"Cookie": cookie},
            data={
                "csrf_token": token,
                "submission_key": secrets.token_urlsafe(16),
                "name": f"Counted {i}",
                "email": f"counted-{slug}-{i}@example.org",
                "phone": "",
                "language": "en",
                "party_size": "1",
            },
        )

    return post


def count_statements(target: Target) -> dict[str, int]:
    """Count the SQL statements of one RSVP POST, confirmed and waitlisted, in-process."""
    from sqlalchemy import event as sa_event

    from eventsvc.extensions import db

    app = app_for(target)
    counts = {}
    try:
        with app.app_context():
            create_event("bench-count", capacity=1)
            engine = db.engine
        statements: list[str] = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        client = app.test_client(use_cookies=False)
        for label in ("confirmed", "waitlisted"):
            post = _form_post(client, "bench-count", len(counts))
            sa_event.listen(engine, "before_cursor_execute", listener)
            try:
                statements.clear()
                response = post()
            finally:
                sa_event.remove(engine, "before_cursor_execute", listener)
            assert response.status_code == 303, response.status_code
            counts[label] = len(statements)
            counts[f"{label}_statements"] = list(statements)
    finally:
        dispose(app)
    return counts


def time_parts(app, event_id: int, count: int) -> dict[str, float]:
    """Time the pieces of the confirmation email on their own, without a profiler (ms each)."""
    from sqlalchemy import select

    from eventsvc.events.ical import build_calendar
    from eventsvc.events.models import Event
    from eventsvc.extensions import db
    from eventsvc.rsvps.mail import queue_rsvp_mail
    from eventsvc.rsvps.models import Rsvp, RsvpStatus
    from eventsvc.rsvps.qr import qr_png
    from eventsvc.rsvps.tickets import active_tickets, ticket_code

    def each(fn) -> float:
        started = time.perf_counter()
        for _ in range(count):
            fn()
        return (time.perf_counter() - started) / count * 1000

    with app.test_request_context("/"):
        event = db.session.get(Event, event_id)
        rsvp = db.session.scalar(
            select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.status == RsvpStatus.confirmed)
        )
        ticket = active_tickets(rsvp)[0]
        code = ticket_code(ticket)
        base_url = app.config["BASE_URL"]
        parts = {
            "queue_rsvp_mail('confirmed') in all": each(lambda: queue_rsvp_mail(rsvp, "confirmed")),
            "  qr_png (QR PNG attachment, 1 ticket)": each(lambda: qr_png(code)),
            "  build_calendar (iCal attachment)": each(
                lambda: build_calendar([event], base_url=base_url, language="en", method="PUBLISH")
            ),
            "  ticket_code (Ed25519 signature)": each(lambda: ticket_code(ticket)),
        }
        db.session.rollback()
    return parts


def profile(target: Target, count: int, top: int = 25) -> None:
    """Profile `count` in-process RSVP POSTs (confirmed ones) and print where the time goes."""
    from eventsvc.extensions import db

    app = app_for(target)
    try:
        with app.app_context():
            event_id = create_event("bench-profile", capacity=3 * count + 10)
        client = app.test_client(use_cookies=False)
        post = _form_post(client, "bench-profile", 0)
        for i in range(3):  # warm up: templates compiled, connections open
            post(10_000 + i)
        started = time.perf_counter()
        for i in range(count):
            response = post(20_000 + i)
            assert response.status_code == 303, response.status_code
        plain = (time.perf_counter() - started) / count * 1000
        parts = time_parts(app, event_id, count)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for i in range(count):
            response = post(i)
            assert response.status_code == 303, response.status_code
        profiler.disable()
        wall = time.perf_counter() - started
        with app.app_context():
            db.session.remove()
    finally:
        dispose(app)
    stats = pstats.Stats(profiler)
    per = wall / count * 1000
    print(
        f"\nOne confirmed RSVP POST in-process ({target.kind}, one thread, no contention): "
        f"{plain:.1f} ms wall (mean of {count})"
    )
    for label, ms in parts.items():
        print(f"  {label:42} {ms:6.1f} ms  ({ms / plain * 100:.0f}% of the POST)")
    print(
        f"\nProfile of {count} confirmed RSVP POSTs in-process: {per:.1f} ms each under "
        "cProfile (the profiler inflates pure-Python code such as qrcode)"
    )
    buckets = {
        "submit_rsvp (the whole use case)": ("eventsvc/rsvps/services.py", "submit_rsvp"),
        "  queue_rsvp_mail (the email)": ("eventsvc/rsvps/services.py", "queue_rsvp_mail"),
        "    QR PNG per ticket (qr_png)": ("eventsvc/rsvps/qr.py", "qr_png"),
        "    ticket signing (ticket_code)": ("eventsvc/rsvps/services.py", "ticket_code"),
        "    iCal attachment (build_calendar)": ("eventsvc/events/ical.py", "build_calendar"),
        "    mail templates (render_mail)": ("eventsvc/mail/services.py", "render_mail"),
        "form validation (validate_on_submit)": ("flask_wtf/form.py", "validate_on_submit"),
        "page templates (render_template)": ("flask/templating.py", "render_template"),
        "commit": ("sqlalchemy/orm/session.py", "commit"),
        "SQL round trips (do_execute*)": ("sqlalchemy/engine/default.py", "do_execute"),
    }
    raw = stats.stats  # type: ignore[attr-defined]
    print(f"  {'where':42} {'ms/RSVP':>8} {'share':>6}")
    for label, (filename, name) in buckets.items():
        cum = sum(
            ct
            for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in raw.items()
            if file.endswith(filename) and func.startswith(name)
        )
        print(f"  {label:42} {cum / count * 1000:8.2f} {cum / wall * 100:5.0f}%")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    print(out.getvalue())


# --- main -------------------------------------------------------------------------------------


def worker_cpu_seconds(master_pid: int) -> float:
    """Return the CPU time (user + system) gunicorn's workers have used so far, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    for pid in children:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def run_once(args, pg_url: str, index: int) -> tuple[Result, list[str], Target]:
    target = prepare(args.database, pg_url, args.capacity)
    port = args.port or free_port()
    with gunicorn(target, args.workers, port) as proc:
        cpu_before, client_before = worker_cpu_seconds(proc.pid), time.process_time()
        result = burst(port, args.requests, args.concurrency)
        result.worker_cpu = worker_cpu_seconds(proc.pid) - cpu_before
        result.client_cpu = time.process_time() - client_before
    print(f"run {index}:")
    print(f"  wall time:   {result.wall:.2f} s")
    print(f"  RSVPs/s:     {result.rate:.1f}")
    print(
        f"  CPU ms/RSVP: gunicorn workers {result.worker_cpu / args.requests * 1000:.2f}, "
        f"load generator {result.client_cpu / args.requests * 1000:.2f}"
    )
    if result.latencies:
        print(
            "  latency ms:  "
            f"p50 {result.pct(50):.1f}  p90 {result.pct(90):.1f}  "
            f"p99 {result.pct(99):.1f}  max {max(result.latencies) * 1000:.1f}"
        )
    print(f"  statuses:    {dict(sorted(result.statuses.items(), key=str))}")
    problems = check_guarantee(target, args.capacity, args.requests, result)
    print("  guarantee:   " + ("holds" if not problems else "FAILED: " + "; ".join(problems)))
    return result, problems, target


def cleanup() -> None:
    """Remove the temporary folders this process made."""
    for tmpdir in TMPDIRS:
        shutil.rmtree(tmpdir, ignore_errors=True)


def code_version() -> str:
    """Return the commit the code under test is at, and whether the tree has local changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!benchmarks"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{' (modified)' if dirty else ''}" or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--database-url", default=DEFAULT_PG_URL, help="PostgreSQL URL (default %(default)s)"
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--capacity", type=int, help="seats (default: half of --requests)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--repeat", type=int, default=3, help="bursts on fresh data (median)")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="also cProfile N in-process RSVP POSTs"
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=240,
        help="hard limit in seconds for each run (default %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.capacity is None:
        args.capacity = max(args.requests // 2, 1)
    if min(args.requests, args.concurrency, args.workers, args.capacity) < 1:
        parser.error("--requests, --concurrency, --workers and --capacity must be positive")
    if args.database == "postgresql":
        check_pg_url(args.database_url)
    os.environ.pop("EVENTSVC_DATABASE_URL", None)  # the in-process app uses our URL only
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    def on_alarm(signum, frame):
        raise HardTimeout(f"a run took longer than {args.timeout} s")

    signal.signal(signal.SIGALRM, on_alarm)
    print(f"code {code_version()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(
        f"database {args.database}, workers {args.workers}, concurrency {args.concurrency}, "
        f"requests {args.requests}, capacity {args.capacity}, repeat {args.repeat}"
    )
    results, failed, target = [], False, None
    try:
        for i in range(1, args.repeat + 1):
            signal.alarm(args.timeout)
            if target is not None:
                shutil.rmtree(target.tmpdir, ignore_errors=True)
            result, problems, target = run_once(args, args.database_url, i)
            signal.alarm(0)
            results.append(result)
            failed = failed or bool(problems)
        signal.alarm(args.timeout)
        if target is None:
            target = prepare(args.database, args.database_url, args.capacity)
        counts = count_statements(target)
        print(
            f"SQL statements per RSVP POST (in-process, {args.database}): "
            f"{counts['confirmed']} when confirmed, {counts['waitlisted']} when waitlisted"
        )
        if os.environ.get("BENCH_SHOW_SQL"):
            for s in counts["confirmed_statements"]:
                print("   ", " ".join(s.split())[:160])
        if args.profile:
            profile(target, args.profile)
        signal.alarm(0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except HardTimeout as e:
        print(f"hard timeout: {e}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
        cleanup()
    if results:
        rates = [r.rate for r in results]
        p50s = [r.pct(50) for r in results if r.latencies]
        p99s = [r.pct(99) for r in results if r.latencies]
        print(
            f"median of {len(results)} runs ({args.database}, workers {args.workers}, "
            f"concurrency {args.concurrency}, {args.requests} requests):"
        )
        print(
            f"  RSVPs/s  {statistics.median(rates):7.1f}   "
            f"(min {min(rates):.1f}, max {max(rates):.1f})"
        )
        if p50s:
            print(
                f"  p50 ms   {statistics.median(p50s):7.1f}   "
                f"(min {min(p50s):.1f}, max {max(p50s):.1f})"
            )
            print(
                f"  p99 ms   {statistics.median(p99s):7.1f}   "
                f"(min {min(p99s):.1f}, max {max(p99s):.1f})"
            )
    if failed:
        print("CAPACITY GUARANTEE FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
