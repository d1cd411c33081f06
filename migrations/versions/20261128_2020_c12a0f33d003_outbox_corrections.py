"""Outbox: an organiser may discard a stuck message (status "discarded") or correct its address.

The status column is a plain string (VARCHAR(20), no CHECK, no database enum), so the new value
needs no schema change. Going back, the code before it does not know "discarded": those messages
become "failed", which it shows and never sends unless an organiser asks for a retry.

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
    pass


def downgrade():
    op.execute(
        sa.text("UPDATE outbox_messages SET status = 'failed' WHERE status = 'discarded'")
    )
