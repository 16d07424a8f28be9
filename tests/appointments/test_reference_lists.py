"""The airport console's places (regions, host cities, service points) are read once per
revision of the reference data, which changes with them whichever process changes them."""

from __future__ import annotations

from sqlalchemy import delete, select

from casework.extensions import db
from casework.reference.models import HostCity, Region, ServicePoint
from casework.reference.revision import current_revision
from tests.appointments.test_airport import counter  # noqa: F401  (fixture)


def _revision(app) -> int:
    with app.app_context():
        return current_revision(db.session)


def _host_city_options(client) -> str:
    page = client.get("/aeroport/").text
    return page.split('id="host_city"')[1].split("</select>")[0]


def test_changes_to_places_change_the_revision(app):
    first = _revision(app)
    with app.app_context():
        montreal = db.session.scalar(select(Region).where(Region.code == "06"))
        db.session.add(HostCity(name="Ville-Essai", region_id=montreal.id))
        db.session.commit()
    second = _revision(app)
    assert second != first
    with app.app_context():  # an object changed
        point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == "DR-MTL"))
        point.name = point.name + " (essai)"
        db.session.commit()
    third = _revision(app)
    assert third not in (first, second)
    with app.app_context():  # a bulk statement, without the session's objects
        db.session.execute(delete(HostCity).where(HostCity.name == "Ville-Essai"))
        db.session.commit()
    assert _revision(app) not in (first, second, third)
    with app.app_context():  # an object read, not changed: the same revision
        latest = current_revision(db.session)
        region = db.session.scalar(select(Region).where(Region.code == "06"))
        region.name = region.name
        db.session.commit()
    assert _revision(app) == latest


def test_the_console_reads_its_places_once_per_revision(app, client, counter, count_queries):  # noqa: F811
    client.get("/aeroport/")
    with count_queries() as kept:
        options = _host_city_options(client)
    assert "Ville-Essai" not in options
    # Another process adds a host city: a plain UPDATE of the revision is all this one sees.
    with app.app_context():
        montreal = db.session.scalar(select(Region.id).where(Region.code == "06"))
        db.session.execute(
            HostCity.__table__.insert().values(name="Ville-Essai", region_id=montreal)
        )
        db.session.commit()
        assert "Ville-Essai" not in _host_city_options(client)  # no change was announced
        from casework.reference.revision import raise_revision

        raise_revision(db.session)
        db.session.commit()
    with count_queries() as reread:
        options = _host_city_options(client)
    assert "Ville-Essai (Montréal)" in options
    assert reread.count == kept.count + 4  # the four lists (domains too), read again once
    with count_queries() as again:
        _host_city_options(client)
    assert again.count == kept.count


def test_each_language_has_its_own_lists(app, client, counter):  # noqa: F811
    french = client.get("/aeroport/").text
    assert "— Sans objet —" in french
    token = french.split('name="csrf-token" content="')[1].split('"')[0]
    client.post("/langue", data={"locale": "en", "csrf_token": token})
    english = client.get("/aeroport/").text
    assert "Not applicable" in english and "Sans objet" not in english
