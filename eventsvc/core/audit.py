"""The audit log: who did what to which record, and the back office's search of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, func, or_, select

from eventsvc.auth.models import StaffUser
from eventsvc.core.models import AuditLog
from eventsvc.extensions import db


def record_audit(
    action: str,
    *,
    actor=None,
    actor_label: str = "",
    object_type: str | None = None,
    object_id: object = None,
    details: dict | None = None,
) -> AuditLog:
    """Write one audit-log entry (never a person's name, email or phone in details)."""
    entry = AuditLog(
        action=action,
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details or {},
    )
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditQuery:
    """What to look for in the audit log; empty values match everything."""

    #: Free text, matched in the action, the object, the actor and the details.
    text: str = ""
    actor_id: int | None = None
    action: str = ""
    object_type: str = ""
    #: First and last day (inclusive), in timezone.
    since: date | None = None
    until: date | None = None
    timezone: str = "UTC"


def _day_start(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone))


def search_audit(query: AuditQuery, *, page: int = 1, per_page: int = 50):
    """Return one page (Flask-SQLAlchemy Pagination) of matching entries, newest first."""
    statement = select(AuditLog)
    if query.text.strip():
        needle = query.text.strip().lower()
        actors = select(StaffUser.id).where(
            or_(
                func.lower(StaffUser.name).contains(needle, autoescape=True),
                func.lower(StaffUser.email).contains(needle, autoescape=True),
            )
        )
        statement = statement.where(
            or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (
                        AuditLog.action,
                        AuditLog.object_type,
                        AuditLog.object_id,
                        AuditLog.actor_label,
                        cast(AuditLog.details, String),
                    )
                ),
                AuditLog.actor_id.in_(actors),
            )
        )
    if query.actor_id is not None:
        statement = statement.where(AuditLog.actor_id == query.actor_id)
    if query.action:
        statement = statement.where(AuditLog.action == query.action)
    if query.object_type:
        statement = statement.where(AuditLog.object_type == query.object_type)
    if query.since is not None:
        statement = statement.where(AuditLog.created_dt >= _day_start(query.since, query.timezone))
    if query.until is not None:
        next_day = _day_start(query.until + timedelta(days=1), query.timezone)
        statement = statement.where(AuditLog.created_dt < next_day)
    statement = statement.order_by(AuditLog.created_dt.desc(), AuditLog.id.desc())
    return db.paginate(statement, page=page, per_page=per_page, error_out=False, count=True)


def audit_choices() -> tuple[list[str], list[str], list[StaffUser]]:
    """Return the actions, object types and staff accounts that appear in the audit log."""
    actions = db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action))
    types = db.session.scalars(
        select(AuditLog.object_type)
        .where(AuditLog.object_type.is_not(None))
        .distinct()
        .order_by(AuditLog.object_type)
    )
    actors = db.session.scalars(
        select(StaffUser)
        .where(StaffUser.id.in_(select(AuditLog.actor_id).distinct()))
        .order_by(func.lower(StaffUser.name))
    )
    return list(actions), list(types), list(actors)


def staff_names(ids: set[int]) -> dict[int, str]:
    """Return the names of the staff accounts with these ids."""
    if not ids:
        return {}
    rows = db.session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(ids)))
    return {staff_id: name for staff_id, name in rows}
