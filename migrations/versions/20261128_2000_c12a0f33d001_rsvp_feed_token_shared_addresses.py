"""RSVPs: a read-only feed token of their own; several live RSVPs may share an address.

Every existing RSVP gets its own feed token (its own feed group): the feed no longer lists the
RSVPs of whoever shares an email or phone. The unique "one live RSVP per email / phone" indexes
become plain lookup indexes; a flag and a disown-link hash mark an RSVP made with a taken address.

Revision ID: c12a0f33d001
Revises: 5c1e2a7d9b40
Create Date: 2026-11-28

"""

import secrets

import sqlalchemy as sa
from alembic import op
from flask import current_app

from eventsvc.security import link_token, token_hash

# revision identifiers, used by Alembic.
revision = "c12a0f33d001"
down_revision = "5c1e2a7d9b40"
branch_labels = None
depends_on = None

LIVE = sa.text("status != 'cancelled'")

rsvps = sa.table(
    "rsvps",
    sa.column("id", sa.Integer),
    sa.column("feed_token_salt", sa.String),
    sa.column("feed_token_hash", sa.String),
)


def upgrade():
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feed_token_salt", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("feed_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("shared_contact", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("disown_token_hash", sa.String(length=64), nullable=True))
        batch_op.drop_index("uq_rsvps_event_id_email_live")
        batch_op.drop_index("uq_rsvps_event_id_phone_live")
        batch_op.create_index("ix_rsvps_event_id_email", ["event_id", "email"], unique=False)
        batch_op.create_index("ix_rsvps_event_id_phone", ["event_id", "phone"], unique=False)

    # Flask-Migrate runs migrations in the app context: the feed token is an HMAC under the
    # app's secret key, as the app makes it (eventsvc.rsvps.services.feed_token).
    secret_key = current_app.config["SECRET_KEY"]
    conn = op.get_bind()
    for (rsvp_id,) in conn.execute(sa.select(rsvps.c.id)).all():
        salt = secrets.token_hex(16)
        conn.execute(
            rsvps.update()
            .where(rsvps.c.id == rsvp_id)
            .values(
                feed_token_salt=salt,
                feed_token_hash=token_hash(link_token(secret_key, "rsvp-feed", salt)),
            )
        )

    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.alter_column("feed_token_salt", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("feed_token_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_rsvps_feed_token_hash", ["feed_token_hash"])
        batch_op.create_unique_constraint("uq_rsvps_disown_token_hash", ["disown_token_hash"])


def downgrade():
    # The unique indexes come back only if no two live RSVPs of an event share an email or a
    # phone: cancel the later one of each pair first (deliberately not done here).
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.drop_constraint("uq_rsvps_disown_token_hash", type_="unique")
        batch_op.drop_constraint("uq_rsvps_feed_token_hash", type_="unique")
        batch_op.drop_index("ix_rsvps_event_id_phone")
        batch_op.drop_index("ix_rsvps_event_id_email")
        batch_op.create_index(
            "uq_rsvps_event_id_email_live",
            ["event_id", "email"],
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )
        batch_op.create_index(
            "uq_rsvps_event_id_phone_live",
            ["event_id", "phone"],
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )
        batch_op.drop_column("disown_token_hash")
        batch_op.drop_column("shared_contact")
        batch_op.drop_column("feed_token_hash")
        batch_op.drop_column("feed_token_salt")
