"""The yardstick of issue 9: a bare Flask page that runs one raw SQL query and renders a template
(no session, no guard, no ORM, no audit row). ``bench.load`` serves it beside the application;
``bench.run --quick`` times it in-process next to the key pages."""

from __future__ import annotations

from flask import Flask, render_template_string
from sqlalchemy import create_engine, text

PAGE = """<!doctype html><html lang="fr"><head><title>{{ title }}</title></head><body>
<h1>{{ title }}</h1><p>{{ count }} dossiers</p>
<ul>{% for row in rows %}<li>{{ row }}</li>{% endfor %}</ul></body></html>"""


def bare_app(database_url: str) -> Flask:
    bare = Flask("bare")
    engine = create_engine(database_url)

    @bare.get("/")
    def page():
        with engine.connect() as connection:
            count = connection.execute(
                text("SELECT count(*) FROM cases WHERE agent_id = 3")
            ).scalar()
        return render_template_string(PAGE, title="Bare", count=count, rows=range(25))

    return bare
