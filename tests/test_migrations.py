"""The migrations build exactly the schema the models describe, and tear it down again."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import eventsvc.models  # noqa: F401  (the complete metadata)
from eventsvc import create_app
from eventsvc.extensions import db

#: CI sets this to a PostgreSQL server; each test run creates and drops its own database there.
SERVER_URL = os.environ.get("EVENTSVC_TEST_DATABASE_URL", "")

DATABASES = [pytest.param("sqlite", id="sqlite")]
if SERVER_URL.startswith("postgresql"):
    DATABASES.append(pytest.param("postgresql", id="postgresql"))


@pytest.fixture
def empty_database_url(request, tmp_path):
    """Yield the URL of a new, empty database of the kind asked for."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    server = make_url(SERVER_URL)
    name = f"eventsvc_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.mark.parametrize("empty_database_url", DATABASES, indirect=True)
def test_upgrade_matches_models_and_downgrade_removes_everything(empty_database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "test",
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    with app.app_context():
        try:
            upgrade()

            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, db.metadata)
                assert diff == []
                if conn.dialect.name == "postgresql":
                    # native_enum=False: states are VARCHARs, never named PostgreSQL types.
                    assert inspect(conn).get_enums() == []

            downgrade(revision="base")

            with db.engine.connect() as conn:
                assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        finally:
            db.engine.dispose()
