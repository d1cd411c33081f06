"""The offline door: tickets say when they last changed; scans say offline, conflict, clock.

- ``tickets.changed_dt`` (with an index on event and it): the scanner's snapshot asks only for
  the tickets changed since its last copy. Existing rows take their check-in time, else their
  creation time.
- ``check_ins.is_offline``, ``is_conflict``: a phone admitted someone while offline; the server
  could not honour it (already in, cancelled, replaced).
- ``check_ins.clock_offset_s``: how far off the device's clock was, when more than five minutes.

Revision ID: c14a0f33d001
Revises: c12a0f33d003
Create Date: 2026-11-29

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "c14a0f33d001"
down_revision = "c12a0f33d003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_dt", sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text("UPDATE tickets SET changed_dt = COALESCE(checked_in_dt, created_dt)"))
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.alter_column("changed_dt", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index("ix_tickets_event_id_changed_dt", ["event_id", "changed_dt"])
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_offline", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("is_conflict", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("clock_offset_s", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_column("clock_offset_s")
        batch_op.drop_column("is_conflict")
        batch_op.drop_column("is_offline")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_event_id_changed_dt")
        batch_op.drop_column("changed_dt")
