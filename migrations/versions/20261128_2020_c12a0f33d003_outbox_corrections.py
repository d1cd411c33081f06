"""Outbox: an organiser may discard a stuck message (status "discarded") or correct its address.

The status column is a plain string (VARCHAR(20), no CHECK, no database enum), so the new value
needs no schema change. Going back, the code before it does not know "discarded": those messages
become "failed", which it shows and never sends unless an organiser asks for a retry.

Messages also gain tribute_id: a tribute's mail to its author (with the deletion link) is
deleted with the tribute.

Revision ID: c12a0f33d003
Revises: c12a0f33d002
Create Date: 2026-11-28

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c12a0f33d003"
down_revision = "c12a0f33d002"
branch_labels = None
depends_on = None


def upgrade():
    # A tribute's message to its author (the deletion link) goes when the tribute does.
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tribute_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_messages_tribute_id"), ["tribute_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_tribute_id_tributes"),
            "tributes",
            ["tribute_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_messages_tribute_id_tributes"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_outbox_messages_tribute_id"))
        batch_op.drop_column("tribute_id")
    op.execute(
        sa.text("UPDATE outbox_messages SET status = 'failed' WHERE status = 'discarded'")
    )
