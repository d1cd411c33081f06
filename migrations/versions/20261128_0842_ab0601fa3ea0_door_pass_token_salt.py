"""Door pass token salt, so organisers can show a door link again.

Revision ID: ab0601fa3ea0
Revises: 319de39e4a66
Create Date: 2026-11-28

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ab0601fa3ea0"
down_revision = "319de39e4a66"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("door_passes", schema=None) as batch_op:
        # No door pass existed before this revision; the default only satisfies NOT NULL.
        batch_op.add_column(
            sa.Column("token_salt", sa.String(length=32), nullable=False, server_default="")
        )
    with op.batch_alter_table("door_passes", schema=None) as batch_op:
        batch_op.alter_column("token_salt", server_default=None)


def downgrade():
    with op.batch_alter_table("door_passes", schema=None) as batch_op:
        batch_op.drop_column("token_salt")
