"""CSV exports behind a password re-entered, and the person's whole file (right of access)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from casework.auth.models import LoginAttempt
from casework.core.audit import AuditEvent
from casework.extensions import db
from tests import helpers
from tests.reports.factories import add_activity

CASELOAD_CSV = "/rapports/dossiers.csv"


def confirm(client, next_path: str, password: str = helpers.DEFAULT_PASSWORD):
    page = client.get(next_path)
    assert page.status_code == 200 and 'name="password"' in page.text
    fields = helpers.form_fields(page.text)
    assert fields["next"] == next_path
    return client.post(
        "/rapports/confirmer", data={**fields, "password": password}, follow_redirects=False
    )


def read_csv(response) -> list[list[str]]:
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def actions_of(app, user_id: int) -> list[tuple[str, str, dict]]:
    with app.app_context():
        return [
            (e.action, e.outcome, e.details)
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.actor_id == user_id).order_by(AuditEvent.id)
            )
        ]


def test_a_bulk_export_asks_for_the_password_then_downloads_and_is_audited(
    app, client, login, make_case
):
    agent = login(role="agent")
    make_case(agent, given_names="Zoé", family_name="=HYPERLINK(1)")
    make_case(agent, given_names="Ana", family_name="Côté")
    response = confirm(client, f"{CASELOAD_CSV}?status=new")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{CASELOAD_CSV}?status=new"
    assert "password" not in response.headers["Location"]
    download = client.get(response.headers["Location"])
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = read_csv(download)
    assert rows[0][:3] == ["Dossier", "Nom de famille", "Prénoms"]
    assert len(rows) == 3
    names = {row[1] for row in rows[1:]}
    # Accents survive, and a cell a spreadsheet would run as a formula is neutralised.
    assert names == {"Côté", "'=HYPERLINK(1)"}
    logged = actions_of(app, agent.id)
    assert ("export.confirmed", "ok") in [(a, o) for a, o, _d in logged]
    export = next(d for a, _o, d in logged if a == "export.caseload")
    assert export["rows"] == 2 and export["status"] == "new"


def test_a_wrong_password_is_refused_audited_and_counts_towards_the_lockout(app, client, login):
    user = login(role="supervisor")
    response = confirm(client, CASELOAD_CSV, password="pas-le-bon-mot-de-passe")
    assert response.status_code == 401
    assert "Ce n&#39;est pas votre mot de passe." in response.text
    assert "export.confirm_failed" in [a for a, _o, _d in actions_of(app, user.id)]
    for _attempt in range(5):
        response = confirm(client, CASELOAD_CSV, password="pas-le-bon-mot-de-passe")
    assert response.status_code == 429
    # Locked like a sign-in: the right password no longer confirms either.
    assert confirm(client, CASELOAD_CSV).status_code == 429
    with app.app_context():
        failures = db.session.scalars(
            select(LoginAttempt).where(
                LoginAttempt.username == user.username, LoginAttempt.succeeded.is_(False)
            )
        ).all()
    assert len(failures) == 5
    assert client.get(CASELOAD_CSV).headers["Content-Type"].startswith("text/html")


def test_the_confirmation_expires(app, client, login):
    login(role="supervisor")
    original = app.config["EXPORT_CONFIRMATION_MINUTES"]
    app.config["EXPORT_CONFIRMATION_MINUTES"] = 0
    try:
        confirm(client, CASELOAD_CSV)
        assert 'name="password"' in client.get(CASELOAD_CSV).text
    finally:
        app.config["EXPORT_CONFIRMATION_MINUTES"] = original


def test_a_confirmation_without_csrf_is_400(client, login):
    login(role="agent")
    assert client.post("/rapports/confirmer", data={"password": "x"}).status_code == 400


def test_the_next_address_cannot_leave_the_site(client, login):
    login(role="agent")
    token = helpers.csrf_token(client, CASELOAD_CSV)
    response = client.post(
        "/rapports/confirmer",
        data={"csrf_token": token, "password": helpers.DEFAULT_PASSWORD, "next": "//evil.example"},
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("path", "header"),
    [
        (CASELOAD_CSV, "Dossier"),
        ("/rapports/references.csv", "Référence"),
        ("/rapports/tableau-de-bord/references.csv", "Organisme"),
        ("/rapports/tableau-de-bord/dossiers.csv", "Agente ou agent"),
    ],
)
def test_an_export_of_zero_rows_is_a_valid_file_with_headers(client, login, path, header):
    login(role="supervisor")
    confirm(client, path)
    rows = read_csv(client.get(path))
    assert len(rows) == 1 and rows[0][0] == header


def test_dashboard_tables_export_with_the_filters_on_screen(app, client, login, make_user):
    agent = make_user(role="agent")
    with app.app_context():
        for _index in range(2):
            add_activity(helpers.create_case(agent.id).id)
    login(role="advisor")
    confirm(client, "/rapports/tableau-de-bord/references.csv")
    rows = read_csv(client.get("/rapports/tableau-de-bord/references.csv"))
    assert rows[1] == ["PROMIS", "2", "2", "2", "0", "0", "2,0"]
    assert client.get("/rapports/tableau-de-bord/nope.csv").status_code == 404
    bad = client.get("/rapports/tableau-de-bord/references.csv?start=2026-02-10&end=2026-02-01")
    assert bad.status_code == 400


def test_agents_export_their_own_caseload_only(client, login, make_user, make_case):
    other = make_user(role="agent")
    make_case(other, family_name="Ailleurs")
    agent = login(role="agent")
    make_case(agent, family_name="Ici")
    confirm(client, CASELOAD_CSV)
    names = [row[1] for row in read_csv(client.get(CASELOAD_CSV))[1:]]
    assert names == ["Ici"]


def test_partners_and_airport_staff_cannot_export_caseloads(client, login):
    login(role="partner")
    assert client.get(CASELOAD_CSV).status_code == 403
    assert client.get("/rapports/references.csv").status_code == 200  # asks for the password


# --- The person's whole file ---------------------------------------------------------------


def test_the_whole_file_as_json_holds_everything_and_is_audited(app, client, login):
    agent = login(role="agent")
    with app.app_context():
        record = helpers.create_case(
            agent.id, given_names="Mariam", family_name="Diallo", phone="514-555-0199"
        )
        add_activity(record.id)
    response = client.get(f"/rapports/dossiers/{record.id}/dossier-complet.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["person"]["family_name"] == "Diallo"
    assert data["person"]["phone"] == "+15145550199"  # stored in E.164
    (file,) = data["cases"]
    assert file["number"] == record.number
    assert [r["status"] for r in file["referrals"]] == ["accepted"]
    assert [e["to_status"] for e in file["referrals"][0]["history"]] == [
        "submitted",
        "sent",
        "accepted",
    ]
    assert file["assessments"][0]["needs"][0]["level"] == "high"
    assert file["plans"][0]["finalised_at"].endswith("Z")
    assert file["appointments"][0]["status"] == "done"
    export = [d for a, _o, d in actions_of(app, agent.id) if a == "export.person_file"]
    assert export == [{"output": "json", "cases": 1}]


def test_the_whole_file_holds_the_follow_ups_and_the_outcomes(app, client, login):
    from casework.auth.models import User
    from casework.cases.models import Case
    from casework.core.time import local_today
    from casework.followups import operations as follow_ups
    from casework.followups.operations import FollowUpValues, Situation

    agent = login(role="agent")
    with app.app_context():
        record = helpers.create_case(agent.id, given_names="Mariam", family_name="Diallo")
        follow_ups.record(
            db.session.get(User, agent.id),
            db.session.get(Case, record.id),
            FollowUpValues(
                held_on=local_today(),
                notes="Trouvé un logement près du travail.",
                situations={"housing": Situation(housing_status="stable")},
            ),
        )
        db.session.commit()
    data = json.loads(client.get(f"/rapports/dossiers/{record.id}/dossier-complet.json").data)
    (file,) = data["cases"]
    (follow_up,) = file["follow_ups"]
    assert follow_up["notes"] == "Trouvé un logement près du travail."
    assert [s["domain"] for s in follow_up["situation"]] == ["housing"]
    page = client.get(f"/rapports/dossiers/{record.id}/dossier-complet").text
    assert "Trouvé un logement près du travail." in page


def sign_out(client) -> None:
    helpers.post_form(client, "/deconnexion", token_from="/")


def test_the_printable_file_and_its_scope(app, client, login, make_user):
    agent = make_user(role="agent")
    with app.app_context():
        record = helpers.create_case(agent.id, given_names="Mariam", family_name="Diallo")
    page_path = f"/rapports/dossiers/{record.id}/dossier-complet"
    expected = {"agent": 403, "supervisor": 200, "advisor": 200, "admin": 403, "partner": 403}
    for role, status in expected.items():
        login(role=role)  # another agent: not their caseload
        assert client.get(page_path).status_code == status, role
        sign_out(client)
    login(user=agent)
    assert client.get("/rapports/dossiers/999999/dossier-complet.json").status_code == 404
    page = client.get(page_path)
    assert page.status_code == 200
    assert "Dossier complet de Mariam Diallo" in page.text and "data-print" in page.text


def test_the_case_page_links_to_the_whole_file(client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    page = client.get(f"/dossiers/{case.id}").text
    assert f'href="/rapports/dossiers/{case.id}/dossier-complet"' in page


def test_lists_link_to_their_export_with_the_same_filters(client, login):
    login(role="advisor")
    page = client.get("/dossiers/?status=new&page=2&_external=1&_anchor=x").text
    assert 'href="/rapports/dossiers.csv?status=new&amp;_external=1&amp;_anchor=x"' in page
    # The advisor's queue shows « submitted » by default: the export says so explicitly.
    assert 'href="/rapports/references.csv?status=submitted"' in client.get("/references/").text
    assert 'href="/rapports/references.csv?status="' in client.get("/references/?status=").text


def test_reminders_list_as_csv_for_the_tab_on_screen(app, client, login, make_case, make_user):
    from datetime import timedelta

    from casework.cases.models import Case
    from casework.core.time import utcnow
    from tests.reminders.conftest import add_reminder

    agent = login(role="agent")
    record = make_case(agent)
    with app.app_context():
        case = db.session.get(Case, record.id)
        add_reminder(case, utcnow() - timedelta(days=3))
        add_reminder(case, utcnow() + timedelta(days=20))
        db.session.commit()
    assert 'href="/rapports/rappels.csv?tab=overdue"' in client.get("/rappels/?tab=overdue").text
    response = confirm(client, "/rapports/rappels.csv?tab=overdue")
    rows = read_csv(client.get(response.headers["Location"]))
    assert rows[0] == ["Échéance", "Rappel", "Dossier", "Agente ou agent", "État"]
    assert [row[2] for row in rows[1:]] == [record.number]  # the overdue one only
    export = next(d for a, _o, d in actions_of(app, agent.id) if a == "export.reminders")
    assert export["rows"] == 1 and export["tab"] == "overdue"
    advisor, other = make_user(role="advisor"), app.test_client()
    helpers.login(other, advisor.username, advisor.password)
    assert other.get("/rapports/rappels.csv").status_code == 403


def test_audit_trail_as_csv_for_administrators(app, client, login, make_user):
    admin = login(role="admin")
    page = client.get("/admin/journal/?kind=login.succeeded").text
    assert 'href="/rapports/journal.csv?kind=login.succeeded"' in page
    response = confirm(client, "/rapports/journal.csv?kind=login.succeeded")
    rows = read_csv(client.get(response.headers["Location"]))
    assert rows[0][:4] == ["Quand", "Qui", "Rôle", "Action"]
    assert rows[1:] and all(row[4] == "login.succeeded" for row in rows[1:])
    assert admin.username in {row[1] for row in rows[1:]}
    export = next(d for a, _o, d in actions_of(app, admin.id) if a == "export.audit")
    assert export["kind"] == "login.succeeded"
    agent, other = make_user(role="agent"), app.test_client()
    helpers.login(other, agent.username, agent.password)
    assert other.get("/rapports/journal.csv").status_code == 403
