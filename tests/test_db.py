"""The database layer the models stand on: SQLite foreign keys, translated states."""

import eventsvc.models  # noqa: F401  (every model and state, and the SQLite connect listener)


def test_sqlite_enforces_foreign_keys(tmp_path):
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp_path}/fk.sqlite")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def test_every_state_has_a_translated_title(model_app):
    from flask_babel import force_locale

    from eventsvc.db import TitledEnum

    states = list(all_subclasses(TitledEnum))
    assert len(states) >= 8
    with model_app.test_request_context():
        for state in states:
            for member in state:
                with force_locale("en"):
                    english = member.title
                with force_locale("es"):
                    spanish = member.title
                assert english and spanish and english != spanish, (state, member)
