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
