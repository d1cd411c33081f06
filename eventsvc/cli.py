"""`flask --app wsgi eventsvc …`: commands for operators and cron."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from eventsvc.auth.models import Role
from eventsvc.errors import DomainError
from eventsvc.extensions import db


@click.group("eventsvc")
def eventsvc_cli():
    """Manage the event series service."""


@eventsvc_cli.command("create-staff")
@click.option("--email", required=True, help="Login email of the new account.")
@click.option("--name", required=True, help="Name shown in the back office.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.organiser.value,
    show_default=True,
)
@click.option(
    "--password",
    default=None,
    help="Leave out to generate one; it is printed once.",
)
@with_appcontext
def create_staff_command(email: str, name: str, role: str, password: str | None):
    """Create a staff account (admin, organiser or volunteer)."""
    from eventsvc.auth.services import create_staff

    try:
        user, password = create_staff(email=email, name=name, role=Role(role), password=password)
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(e.message) from e
    db.session.commit()
    click.echo(f"Created {user.role} account {user.email}.")
    click.echo(f"Password (shown once): {password}")


@eventsvc_cli.command("seed")
@with_appcontext
def seed_command():
    """Create the demo series, honorees, milestones, organisations and an admin (idempotent)."""
    from eventsvc.seed import seed_demo_data

    report = seed_demo_data()
    db.session.commit()
    for line in report:
        click.echo(line)


@eventsvc_cli.command("send-mail")
@click.option(
    "--limit", default=500, show_default=True, type=click.IntRange(min=1), help="Messages per run."
)
@with_appcontext
def send_mail_command(limit: int):
    """Send the waiting emails (run it from cron every minute).

    Prints "sent X, retrying Y, failed Z". A mail server that is down is normal weather: the
    messages wait and are retried with back-off, and the command exits 0 so cron stays quiet.
    It exits 1 only when a message was given up on in this run (refused for good, or too many
    attempts): that message will not go out without a person looking at it.
    """
    from eventsvc.mail.services import deliver_pending

    report = deliver_pending(limit=limit)
    click.echo(f"sent {report.sent}, retrying {report.retried}, failed {report.failed}")
    if report.server_down:
        click.echo("Mail server down or refusing us; the other messages wait for the next run.")
    if report.failed:
        raise click.ClickException(
            f"{report.failed} message(s) given up on; see the outbox in the back office."
        )


@eventsvc_cli.command("send-reminders")
@with_appcontext
def send_reminders_command():
    """Queue a reminder for everyone who asked for one, a day before their event (hourly cron).

    Each RSVP gets at most one reminder, however often this runs; send-mail delivers them.
    """
    from eventsvc.rsvps.mail import queue_reminders

    queued = queue_reminders()
    db.session.commit()
    click.echo(f"queued {queued} reminder(s)")


@eventsvc_cli.command("purge")
@with_appcontext
def purge_command():
    """Erase personal data whose time is up (run it daily from cron or a systemd timer).

    RSVPs RSVP_PURGE_DAYS after their event, unconfirmed sign-ups and rejected tributes after
    30 days; counts stay. Prints what it erased; a second run erases nothing.
    """
    from eventsvc.privacy.services import purge_personal_data

    report = purge_personal_data()
    db.session.commit()
    click.echo(f"purged: {report}")


@eventsvc_cli.command("door-pass")
@click.argument("event")
@click.argument("label")
@with_appcontext
def door_pass_command(event: str, label: str):
    """Create a door link for EVENT (its slug or id) named LABEL, e.g. "Main entrance"."""
    from flask import current_app
    from sqlalchemy import select

    from eventsvc.checkin.doors import create_door_pass, door_pass_token
    from eventsvc.events.models import Event

    query = select(Event).where(Event.id == int(event) if event.isdigit() else Event.slug == event)
    found = db.session.scalar(query)
    if found is None:
        raise click.ClickException(f"No event {event!r}.")
    try:
        door_pass = create_door_pass(found, label)
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(e.message) from e
    db.session.commit()
    base = current_app.config["BASE_URL"].rstrip("/")
    until = f"{door_pass.expires_dt:%Y-%m-%d %H:%M} UTC"
    click.echo(f"Door link for {door_pass.label!r} (valid until {until}):")
    click.echo(f"{base}/door/{door_pass_token(door_pass)}")
