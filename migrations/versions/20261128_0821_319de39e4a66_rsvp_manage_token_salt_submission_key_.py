"""RSVP manage-token salt and submission key; one live RSVP per email or phone and event.

Revision ID: 319de39e4a66
Revises: b15a52d2957d
Create Date: 2026-11-28 08:21:08.684952+00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "319de39e4a66"
down_revision = "b15a52d2957d"
branch_labels = None
depends_on = None

LIVE = sa.text("status != 'cancelled'")


def upgrade():
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        # No RSVP existed before this revision; the default only satisfies NOT NULL.
        batch_op.add_column(
            sa.Column("manage_token_salt", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
        batch_op.drop_index("ix_rsvps_event_id_email")
        batch_op.drop_index("ix_rsvps_event_id_phone")
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
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.alter_column("manage_token_salt", server_default=None)


def downgrade():
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.drop_index("uq_rsvps_event_id_phone_live")
        batch_op.drop_index("uq_rsvps_event_id_email_live")
        batch_op.create_index("ix_rsvps_event_id_phone", ["event_id", "phone"], unique=False)
        batch_op.create_index("ix_rsvps_event_id_email", ["event_id", "email"], unique=False)
        batch_op.drop_column("submission_key")
        batch_op.drop_column("manage_token_salt")
