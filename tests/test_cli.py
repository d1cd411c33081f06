from sqlalchemy import select

from eventsvc.auth.models import Role, StaffUser
from eventsvc.extensions import db


def test_create_staff_prints_generated_password_once(app, runner):
    result = runner.invoke(
        args=[
            "eventsvc",
            "create-staff",
            "--email",
            "Ana@Example.org",
            "--name",
            "Ana",
            "--role",
            "volunteer",
        ]
    )
    assert result.exit_code == 0, result.output
    password = result.output.split("Password (shown once): ")[1].strip()
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == "ana@example.org"))
        assert user.role == Role.volunteer
        assert user.check_password(password)
        assert password not in user.password_hash


def test_create_staff_refuses_duplicate_with_clear_message(runner):
    args = ["eventsvc", "create-staff", "--email", "x@example.org", "--name", "X"]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert "already exists" in result.output
