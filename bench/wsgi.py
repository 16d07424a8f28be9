"""What gunicorn serves for the load test: the application, and under ``/bare/`` a bare Flask
page that runs one raw SQL query and renders a template (the yardstick of issue 9).

    BENCH_DATABASE_URL=sqlite:////tmp/bench-i9/bench-200000.sqlite3 gunicorn bench.wsgi:app
"""

from __future__ import annotations

import os

from flask import Flask, render_template_string
from sqlalchemy import create_engine, text
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from bench.generate import bench_app

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "sqlite:////tmp/bench-i9/bench-200000.sqlite3")

PAGE = """<!doctype html><html lang="fr"><head><title>{{ title }}</title></head><body>
<h1>{{ title }}</h1><p>{{ count }} dossiers</p>
<ul>{% for row in rows %}<li>{{ row }}</li>{% endfor %}</ul></body></html>"""


def bare_app() -> Flask:
    """One raw SQL query, one template: no session, no guard, no ORM, no audit row."""
    bare = Flask("bare")
    engine = create_engine(DATABASE_URL)

    @bare.get("/")
    def page():
        with engine.connect() as connection:
            count = connection.execute(
                text("SELECT count(*) FROM cases WHERE agent_id = 3")
            ).scalar()
        return render_template_string(PAGE, title="Bare", count=count, rows=range(25))

    return bare


casework = bench_app(DATABASE_URL)
app = DispatcherMiddleware(casework, {"/bare": bare_app()})
