"""Retention: when an event's attendees were purged; tributes' own deletion link.

Revision ID: c12a0f33d002
Revises: c12a0f33d001
Create Date: 2026-11-28

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c12a0f33d002"
down_revision = "c12a0f33d001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purged_dt", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("tributes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delete_token_salt", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("delete_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_tributes_delete_token_hash"), ["delete_token_hash"]
        )


def downgrade():
    with op.batch_alter_table("tributes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_tributes_delete_token_hash"), type_="unique")
        batch_op.drop_column("delete_token_hash")
        batch_op.drop_column("delete_token_salt")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("purged_dt")
