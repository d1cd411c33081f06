"""RSVPs added by staff may have no email or phone (walk-ins at the door).

The check that every live RSVP can be reached now lets staff-added parties through; the public
form still asks for an email or a phone.

Revision ID: 5c1e2a7d9b40
Revises: a9da4a2f087b
Create Date: 2026-11-28

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5c1e2a7d9b40"
down_revision = "a9da4a2f087b"
branch_labels = None
depends_on = None

REACHABLE = "is_anonymised OR email IS NOT NULL OR phone IS NOT NULL"


def upgrade():
    # SQLite cannot change a CHECK in place: batch mode rebuilds the table (indexes included).
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("added_by_staff", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.drop_constraint(batch_op.f("ck_rsvps_reachable"), type_="check")
        batch_op.create_check_constraint("reachable", f"added_by_staff OR {REACHABLE}")


def downgrade():
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_rsvps_reachable"), type_="check")
        batch_op.create_check_constraint("reachable", REACHABLE)
        batch_op.drop_column("added_by_staff")
