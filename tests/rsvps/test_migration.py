"""Migration c12a0f33d001 gives every existing RSVP its own feed token and lets addresses repeat."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from eventsvc import create_app
from eventsvc.extensions import db
from eventsvc.security import link_token, token_hash
from tests.test_migrations import DATABASES, empty_database_url  # noqa: F401  (a fixture)

BEFORE = "5c1e2a7d9b40"
THIS = "c12a0f33d001"


def insert(conn, table: sa.Table, **values) -> None:
    """Insert a row, filling the other NOT NULL columns without a default with plain values."""
    now = datetime(2026, 11, 1, tzinfo=UTC)
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        python_type = column.type.python_type
        values[column.name] = {bool: False, int: 1, datetime: now}.get(python_type, "x")
    conn.execute(table.insert().values(**values))


@pytest.mark.parametrize("empty_database_url", DATABASES, indirect=True)
def test_existing_rsvps_get_a_feed_token_of_their_own(empty_database_url, tmp_path):  # noqa: F811
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "migration-secret",
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    with app.app_context():
        try:
            upgrade(revision=BEFORE)
            tables = sa.MetaData()
            tables.reflect(db.engine, only=["series", "events", "rsvps"])
            series, events, rsvps = (tables.tables[n] for n in ("series", "events", "rsvps"))
            with db.engine.begin() as conn:
                insert(conn, series, id=1, slug="s")
                insert(
                    conn,
                    events,
                    id=1,
                    series_id=1,
                    slug="e",
                    status="published",
                    start_dt=datetime(2026, 12, 1, 18, tzinfo=UTC),
                    end_dt=datetime(2026, 12, 1, 20, tzinfo=UTC),
                )
                for n in (1, 2):
                    insert(
                        conn,
                        rsvps,
                        id=n,
                        event_id=1,
                        email=f"p{n}@example.org",
                        status="confirmed",
                        manage_token_hash=f"{n:064d}",
                        manage_token_salt=f"{n:032d}",
                    )

            upgrade(revision=THIS)

            with db.engine.begin() as conn:
                rows = conn.execute(
                    sa.text("SELECT feed_token_salt, feed_token_hash FROM rsvps ORDER BY id")
                ).all()
                assert len({salt for salt, _ in rows}) == 2  # a feed group each
                for salt, stored in rows:
                    assert len(salt) == 32
                    assert stored == token_hash(link_token("migration-secret", "rsvp-feed", salt))
                with pytest.raises(sa.exc.IntegrityError):
                    with conn.begin_nested():
                        conn.execute(sa.text("UPDATE rsvps SET feed_token_salt = NULL"))
                # Two live RSVPs of one event may now share an email.
                conn.execute(sa.text("UPDATE rsvps SET email = 'same@example.org'"))

            with db.engine.begin() as conn:
                conn.execute(sa.text("UPDATE rsvps SET email = 'p' || id || '@example.org'"))
            downgrade(revision=BEFORE)
        finally:
            db.engine.dispose()
