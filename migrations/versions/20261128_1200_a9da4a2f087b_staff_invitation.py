"""Staff invitations: the hash of a one-time link's secret and when the link expires.

Revision ID: a9da4a2f087b
Revises: ab0601fa3ea0
Create Date: 2026-11-28

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a9da4a2f087b"
down_revision = "ab0601fa3ea0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invite_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("invite_expires_dt", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_staff_users_invite_token_hash"), ["invite_token_hash"]
        )


def downgrade():
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_staff_users_invite_token_hash"), type_="unique")
        batch_op.drop_column("invite_expires_dt")
        batch_op.drop_column("invite_token_hash")
