"""The ceiling for check-in: a trivial Flask app doing one indexed UPDATE per request.

Served by benchmarks/checkin.py with gunicorn on the same database as eventsvc, so the two
figures differ only by what eventsvc does beyond that one statement.
"""

import os

from flask import Flask
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["EVENTSVC_DATABASE_URL"], pool_pre_ping=True)
if engine.dialect.name == "sqlite":
    engine = create_engine(
        os.environ["EVENTSVC_DATABASE_URL"], connect_args={"timeout": 30}, pool_pre_ping=True
    )


@app.post("/touch/<int:ticket_id>")
def touch(ticket_id: int):
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE tickets SET checked_in_dt = CURRENT_TIMESTAMP WHERE id = :id"),
            {"id": ticket_id},
        )
    return "ok"


@app.get("/healthz")
def healthz():
    return "ok"
