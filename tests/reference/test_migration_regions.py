"""Issue 18: the migration to several regions per organisation carries the existing data over."""

from __future__ import annotations

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.no_transaction


@pytest.fixture
def old_database(tmp_path, monkeypatch):
    """A database at the revision before issue 18 (0024), with an organisation per region."""
    from flask_migrate import upgrade

    from casework.app import create_app
    from casework.extensions import db

    monkeypatch.setenv("CASEWORK_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}",
            "SECRET_KEY": "test-secret-key-not-for-production",
        }
    )
    with app.app_context():
        upgrade(revision="0024")
        run = db.session.execute
        for ident, code in ((1, "04"), (2, "05"), (3, "17"), (4, "03"), (5, "12")):
            run(
                text("INSERT INTO regions (id, code, name, parts) VALUES (:i, :c, :c, '[]')"),
                {"i": ident, "c": code},
            )
        run(
            text(
                "INSERT INTO service_points (id, code, name, kind, region_id, illustrative) "
                "VALUES (1, 'DR-MCQ', 'DR', 'directorate', 1, 1)"
            )
        )
        for ident, code, kind, region in (
            (1, "sded", "other", 3),
            (2, "quebec_international", "other", 4),
            (3, "promis", "pasi_partner", None),
            (4, "local", "other", 2),
        ):
            run(
                text(
                    "INSERT INTO organisations (id, code, name, kind, region_id, cities_served, "
                    "languages, illustrative_fields, active, version) "
                    "VALUES (:i, :c, :c, :k, :r, '[]', '[]', '[]', 1, 1)"
                ),
                {"i": ident, "c": code, "k": kind, "r": region},
            )
        db.session.commit()
        yield app
        db.engine.dispose()


def test_organisations_keep_their_region_and_gain_the_document_s(old_database):
    from flask_migrate import upgrade

    from casework.extensions import db

    with old_database.app_context():
        upgrade()
        rows = db.session.execute(
            text(
                "SELECT o.code, r.code FROM organisation_regions x "
                "JOIN organisations o ON o.id = x.organisation_id "
                "JOIN regions r ON r.id = x.region_id ORDER BY o.code, r.code"
            )
        ).all()
        kinds = dict(db.session.execute(text("SELECT code, kind FROM organisations")).all())
        network = db.session.scalar(
            text("SELECT regionalisation FROM organisations WHERE code = 'promis'")
        )
        covered = db.session.execute(text("SELECT region_id FROM directorate_regions")).all()
        pilot = db.session.execute(
            text("SELECT code FROM regions WHERE interpretation_pilot ORDER BY code")
        ).all()
    assert rows == [
        ("local", "05"),
        ("quebec_international", "03"),
        ("quebec_international", "12"),
        ("sded", "04"),
        ("sded", "17"),
    ]
    assert kinds == {
        "sded": "economic_development",
        "quebec_international": "economic_development",
        "promis": "pasi_partner",
        "local": "community",
    }
    assert network in (1, True)
    assert covered == [(1,)]
    assert [code for (code,) in pilot] == ["04", "05", "17"]
