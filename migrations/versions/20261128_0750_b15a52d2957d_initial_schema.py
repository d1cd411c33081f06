"""Initial schema: every table of the service.

Revision ID: b15a52d2957d
Revises:
Create Date: 2026-11-28 07:50:18.647216+00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b15a52d2957d"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "help_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label_en", sa.String(length=120), nullable=False),
        sa.Column("label_es", sa.String(length=120), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_areas")),
        sa.UniqueConstraint("key", name=op.f("uq_help_areas_key")),
    )
    op.create_table(
        "honorees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("born_year", sa.Integer(), nullable=True),
        sa.Column("died_year", sa.Integer(), nullable=True),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("summary_es", sa.Text(), nullable=True),
        sa.Column("story_en", sa.Text(), nullable=False),
        sa.Column("story_es", sa.Text(), nullable=True),
        sa.Column("portrait_path", sa.String(length=300), nullable=True),
        sa.Column("is_founder", sa.Boolean(), nullable=False),
        sa.Column("is_visible", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("candle_count", sa.Integer(), nullable=False),
        sa.Column("created_dt", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "born_year IS NULL OR died_year IS NULL OR died_year >= born_year",
            name=op.f("ck_honorees_years_ordered"),
        ),
        sa.CheckConstraint("candle_count >= 0", name=op.f("ck_honorees_candle_count_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_honorees")),
        sa.UniqueConstraint("slug", name=op.f("uq_honorees_slug")),
    )
    op.create_table(
        "member_organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("description_es", sa.Text(), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("is_listed", sa.Boolean(), nullable=False),
        sa.Column("is_example", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_organisations")),
        sa.UniqueConstraint("slug", name=op.f("uq_member_organisations_slug")),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("individual", "organisation", name="memberkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("languages", sa.String(length=200), nullable=False),
        sa.Column("help_areas", sa.JSON(), nullable=False),
        sa.Column("organisation_name", sa.String(length=200), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("contact_person", sa.String(length=160), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "active",
                "inactive",
                "left",
                name="memberstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("confirm_token_hash", sa.String(length=64), nullable=True),
        sa.Column("unsubscribe_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_dt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("left_dt", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "email IS NOT NULL OR phone IS NOT NULL OR status = 'left'",
            name=op.f("ck_members_reachable"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("confirm_token_hash", name=op.f("uq_members_confirm_token_hash")),
        sa.UniqueConstraint(
            "unsubscribe_token_hash", name=op.f("uq_members_unsubscribe_token_hash")
        ),
    )
    op.create_index(op.f("ix_members_email"), "members", ["email"])

    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("title_es", sa.String(length=200), nullable=True),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("text_es", sa.Text(), nullable=True),
        sa.Column("image_path", sa.String(length=300), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    op.create_index(op.f("ix_milestones_year"), "milestones", ["year"])

    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("title_es", sa.String(length=200), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("description_es", sa.Text(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_dt", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
        sa.UniqueConstraint("slug", name=op.f("uq_series_slug")),
    )
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=True),
        sa.Column(
            "role",
            sa.Enum("volunteer", "organiser", "admin", name="role", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_dt", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_users_email")),
    )
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=True),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["staff_users.id"],
            name=op.f("fk_audit_logs_actor_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
    )
    op.create_index(op.f("ix_audit_logs_action"), "audit_logs", ["action"])
    op.create_index(op.f("ix_audit_logs_actor_id"), "audit_logs", ["actor_id"])
    op.create_index(op.f("ix_audit_logs_created_dt"), "audit_logs", ["created_dt"])

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("title_es", sa.String(length=200), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("description_es", sa.Text(), nullable=True),
        sa.Column("start_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("venue_name", sa.String(length=200), nullable=False),
        sa.Column("venue_address", sa.String(length=300), nullable=False),
        sa.Column("accessibility_notes_en", sa.Text(), nullable=False),
        sa.Column("accessibility_notes_es", sa.Text(), nullable=True),
        sa.Column("host_organisations", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("guest_limit", sa.Integer(), nullable=False),
        sa.Column("rsvp_opens_dt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rsvp_closes_dt", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "published", "cancelled", name="eventstatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("ical_sequence", sa.Integer(), nullable=False),
        sa.Column("created_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_dt", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_events_capacity_positive")),
        sa.CheckConstraint("end_dt > start_dt", name=op.f("ck_events_ends_after_start")),
        sa.CheckConstraint("guest_limit >= 0", name=op.f("ck_events_guest_limit_not_negative")),
        sa.CheckConstraint("ical_sequence >= 0", name=op.f("ck_events_ical_sequence_not_negative")),
        sa.CheckConstraint(
            "rsvp_opens_dt IS NULL OR rsvp_closes_dt IS NULL OR rsvp_closes_dt > rsvp_opens_dt",
            name=op.f("ck_events_rsvp_window_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_events_series_id_series")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("slug", name=op.f("uq_events_slug")),
    )
    op.create_index(op.f("ix_events_series_id"), "events", ["series_id"])
    op.create_index(op.f("ix_events_start_dt"), "events", ["start_dt"])

    op.create_table(
        "tributes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("honoree_id", sa.Integer(), nullable=False),
        sa.Column("author_name", sa.String(length=120), nullable=True),
        sa.Column("is_anonymous", sa.Boolean(), nullable=False),
        sa.Column("relation", sa.String(length=120), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("photo_path", sa.String(length=300), nullable=True),
        sa.Column("contact", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                name="tributestatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("submitted_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moderated_dt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderated_by_id", sa.Integer(), nullable=True),
        sa.Column("moderation_note", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["honoree_id"],
            ["honorees.id"],
            name=op.f("fk_tributes_honoree_id_honorees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by_id"],
            ["staff_users.id"],
            name=op.f("fk_tributes_moderated_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tributes")),
    )
    op.create_index(op.f("ix_tributes_content_hash"), "tributes", ["content_hash"])
    op.create_index("ix_tributes_honoree_id_status", "tributes", ["honoree_id", "status"])

    op.create_table(
        "door_passes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_dt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_dt", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_users.id"],
            name=op.f("fk_door_passes_created_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_door_passes_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_door_passes")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_door_passes_token_hash")),
    )
    op.create_index(op.f("ix_door_passes_event_id"), "door_passes", ["event_id"])

    op.create_table(
        "rsvps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("party_size", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "confirmed",
                "waitlisted",
                "cancelled",
                name="rsvpstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("waitlisted_dt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("access_needs", sa.Text(), nullable=False),
        sa.Column("interpretation_request", sa.String(length=200), nullable=False),
        sa.Column("consent_contact", sa.Boolean(), nullable=False),
        sa.Column("manage_token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_dt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_anonymised", sa.Boolean(), nullable=False),
        sa.Column("anonymised_dt", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "is_anonymised OR email IS NOT NULL OR phone IS NOT NULL",
            name=op.f("ck_rsvps_reachable"),
        ),
        sa.CheckConstraint("party_size >= 1", name=op.f("ck_rsvps_party_size_positive")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_rsvps_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rsvps")),
        sa.UniqueConstraint("manage_token_hash", name=op.f("uq_rsvps_manage_token_hash")),
    )
    op.create_index("ix_rsvps_event_id_email", "rsvps", ["event_id", "email"])
    op.create_index("ix_rsvps_event_id_phone", "rsvps", ["event_id", "phone"])
    op.create_index("ix_rsvps_event_id_status", "rsvps", ["event_id", "status"])

    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "sent", "failed", name="mailstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_dt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rsvp_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_outbox_messages_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rsvp_id"],
            ["rsvps.id"],
            name=op.f("fk_outbox_messages_rsvp_id_rsvps"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    op.create_index(op.f("ix_outbox_messages_kind"), "outbox_messages", ["kind"])
    op.create_index(op.f("ix_outbox_messages_member_id"), "outbox_messages", ["member_id"])
    op.create_index(op.f("ix_outbox_messages_rsvp_id"), "outbox_messages", ["rsvp_id"])
    op.create_index(
        "ix_outbox_messages_status_next_attempt_dt",
        "outbox_messages",
        ["status", "next_attempt_dt"],
    )

    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rsvp_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "void", name="ticketstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("created_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_dt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_door_id", sa.Integer(), nullable=True),
        sa.Column("checked_in_by_staff_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("position >= 1", name=op.f("ck_tickets_position_positive")),
        sa.ForeignKeyConstraint(
            ["checked_in_by_staff_id"],
            ["staff_users.id"],
            name=op.f("fk_tickets_checked_in_by_staff_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["checked_in_door_id"],
            ["door_passes.id"],
            name=op.f("fk_tickets_checked_in_door_id_door_passes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_tickets_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["rsvp_id"], ["rsvps.id"], name=op.f("fk_tickets_rsvp_id_rsvps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("rsvp_id", "position", name=op.f("uq_tickets_rsvp_id_position")),
        sa.UniqueConstraint("secret", name=op.f("uq_tickets_secret")),
    )
    op.create_index(op.f("ix_tickets_event_id"), "tickets", ["event_id"])

    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("door_pass_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("scanned_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_scan_id", sa.String(length=64), nullable=True),
        sa.Column("result", sa.String(length=40), nullable=False),
        sa.Column("is_undone", sa.Boolean(), nullable=False),
        sa.Column("undone_dt", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["door_pass_id"],
            ["door_passes.id"],
            name=op.f("fk_check_ins_door_pass_id_door_passes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_check_ins_event_id_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_check_ins_staff_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_check_ins_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_ins")),
        sa.UniqueConstraint("client_scan_id", name=op.f("uq_check_ins_client_scan_id")),
    )
    op.create_index(op.f("ix_check_ins_door_pass_id"), "check_ins", ["door_pass_id"])
    op.create_index(op.f("ix_check_ins_event_id"), "check_ins", ["event_id"])
    op.create_index(op.f("ix_check_ins_ticket_id"), "check_ins", ["ticket_id"])


def downgrade():
    # Dependants first.
    op.drop_table("check_ins")
    op.drop_table("tickets")
    op.drop_table("outbox_messages")
    op.drop_table("rsvps")
    op.drop_table("door_passes")
    op.drop_table("tributes")
    op.drop_table("events")
    op.drop_table("audit_logs")
    op.drop_table("staff_users")
    op.drop_table("series")
    op.drop_table("milestones")
    op.drop_table("members")
    op.drop_table("member_organisations")
    op.drop_table("honorees")
    op.drop_table("help_areas")
