"""The action plan's indicators (issue 19, points 5 and 8): every indicator on a small
hand-built set with known answers, the reader's scope, « < 5 », the CSV, the drill-down, and a
query count that does not grow with the cases."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from casework.appointments.models import (
    AirportBooking,
    AirportReception,
    Appointment,
    AppointmentType,
)
from casework.assessments.models import Assessment
from casework.cases.models import Case
from casework.core.audit import AuditEvent
from casework.core.time import local_to_utc, local_today
from casework.extensions import db
from casework.plans.models import Plan
from casework.reference.models import Organisation, Region
from casework.referrals.models import Referral, ReferralEvent
from casework.reports import aggregates, indicators
from tests import helpers
from tests.reports.test_exports import confirm, read_csv

PAGE = "/rapports/indicateurs"
CSV = "/rapports/indicateurs.csv"


def days_ago(days: int, hour: int = 14) -> datetime:
    """A UTC instant ``days`` local days ago, in the afternoon (Montréal)."""
    day = local_today() - timedelta(days=days)
    return local_to_utc(datetime(day.year, day.month, day.day, hour))


def region_id(code: str) -> int:
    return db.session.scalar(select(Region.id).where(Region.code == code))


def appointment(case: Case, when: datetime, status: str = "done", **fields) -> Appointment:
    kind = db.session.scalars(select(AppointmentType).order_by(AppointmentType.id)).first()
    item = Appointment(
        case_id=case.id,
        agent_id=case.agent_id,
        region_id=case.region_id,
        service_point_id=case.service_point_id,
        type_id=kind.id,
        mode="in_person",
        starts_at=when,
        ends_at=when + timedelta(hours=1),
        status=status,
        channel=fields.pop("channel", "agent"),
        booked_by_id=fields.pop("booked_by_id", case.agent_id),
        **fields,
    )
    db.session.add(item)
    db.session.flush()
    return item


def referral(case: Case, organisation: str, steps, kind: str = "service") -> None:
    org = db.session.scalar(select(Organisation).where(Organisation.code == organisation))
    item = Referral(
        case_id=case.id,
        organisation_id=org.id,
        agent_id=case.agent_id,
        region_id=case.region_id,
        status=steps[-1][2],
        purpose="Orientation",
        kind=kind,
    )
    for days, frm, to in steps:
        item.events.append(ReferralEvent(occurred_at=days_ago(days), from_status=frm, to_status=to))
    db.session.add(item)
    db.session.flush()
    # Written straight into the tables: the reports' aggregates recounted as the listeners would.
    aggregates.refresh_referrals([item.id])


def airport_booking(case: Case, airport_user: int, booked_days_ago: int, status: str) -> None:
    held = appointment(
        case, days_ago(booked_days_ago - 2), status, channel="airport", booked_by_id=airport_user
    )
    db.session.add(
        AirportBooking(
            appointment_id=held.id,
            booked_by_id=airport_user,
            booked_at=days_ago(booked_days_ago),
            given_names="X",
            family_name="Y",
            flight_type="international",
            arrival_date=local_today() - timedelta(days=booked_days_ago),
            immigration_category="economic",
            destination_region_id=case.region_id,
            contact="x@example.org",
        )
    )


def reception(airport_user: int, region: str, welcomed: int, left: int | None) -> None:
    db.session.add(
        AirportReception(
            given_names="R",
            family_name="S",
            immigration_category="gar",
            arrival_date=local_today() - timedelta(days=welcomed),
            destination_region_id=region_id(region),
            host_city="Trois-Rivières",
            welcomed_by_id=airport_user,
            welcomed_at=days_ago(welcomed),
            left_at=days_ago(left) if left is not None else None,
        )
    )


def build_cases(agent_id: int, airport_id: int, other_agent_id: int) -> dict[str, int]:
    """Region 04 (Mauricie, in the pilot), five cases; region 06, one.

    1. arrived 30 days ago, first appointment held 20 days ago (10 days), plan finalised 10 days
       ago (20 days after arrival), referred to Francisation Québec 9 days ago, needs interview
       under the pilot 20 days ago;
    2. arrived 40 days ago, appointment held 10 days ago under the pilot (30 days), referred to
       MTESS for requalification 5 days ago (sent without review), plus a plain MTESS referral;
    3. airport booking 15 days ago, its appointment still booked;
    4. nothing in the period: a francisation referral 100 days ago, an appointment held 90
       days ago (before the period);
    5. arrived 10 days ago, airport booking 5 days ago, its appointment held 3 days ago (7).
    Region 06: one case with an appointment held and a francisation referral.
    Receptions: two for 04 in the period (one left 1 day ago), one for 06.
    """
    made = {}
    for number in range(1, 6):
        made[f"case{number}"] = helpers.create_case(agent_id).id
    made["other"] = helpers.create_case(other_agent_id).id
    case = {key: db.session.get(Case, ident) for key, ident in made.items()}
    today = local_today()
    case["case1"].person.arrival_date = today - timedelta(days=30)
    appointment(case["case1"], days_ago(20))
    db.session.add(Plan(case_id=made["case1"], number=1, status="final", finalised_at=days_ago(10)))
    referral(
        case["case1"], "francisation_quebec", [(9, "draft", "submitted"), (8, "approved", "sent")]
    )
    db.session.add(
        Assessment(
            case_id=made["case1"],
            number=1,
            status="completed",
            interview_date=today - timedelta(days=20),
            interpretation_pilot=True,
        )
    )
    case["case2"].person.arrival_date = today - timedelta(days=40)
    appointment(case["case2"], days_ago(10), interpretation_pilot=True)
    referral(case["case2"], "mtess", [(5, "draft", "sent")], kind="requalification")
    referral(case["case2"], "mtess", [(4, "draft", "sent")])
    airport_booking(case["case3"], airport_id, 15, "booked")
    referral(case["case4"], "francisation_quebec", [(100, "draft", "submitted")])
    appointment(case["case4"], days_ago(90))
    case["case5"].person.arrival_date = today - timedelta(days=10)
    airport_booking(case["case5"], airport_id, 5, "done")
    case["case5"].status = "active"
    case["other"].person.arrival_date = today - timedelta(days=12)
    appointment(case["other"], days_ago(2))
    referral(case["other"], "francisation_quebec", [(2, "draft", "submitted")])
    reception(airport_id, "04", 6, 1)
    reception(airport_id, "04", 3, None)
    reception(airport_id, "06", 3, 2)
    # Appointments and a plan written straight into their tables (the milestones' aggregate).
    aggregates.refresh_cases(made.values())
    db.session.commit()
    return made


@pytest.fixture
def data(app, make_user):
    agent = make_user(role="agent", region="04")
    other = make_user(role="agent", region="06")
    airport = make_user(role="airport", region="06")
    with app.app_context():
        made = build_cases(agent.id, airport.id, other.id)
    return made


def period() -> tuple[date, date]:
    today = local_today()
    return today - timedelta(days=60), today


def query(extra: str = "") -> str:
    start, end = period()
    return f"?start={start.isoformat()}&end={end.isoformat()}{extra}"


EXPECTED_04 = {
    "opened": 5,
    "served": 3,  # cases 1, 2, 5 (case 4's appointment is before the period)
    "francisation_referred": 1,
    "requalification_referred": 1,  # the plain MTESS referral is not a requalification
    "pilot_interviews": 1,
    "pilot_appointments": 1,
    "airport_booked": 2,
    "airport_booked_held": 1,
}


def test_every_indicator_on_a_hand_built_set(app, data):
    with app.app_context():
        board = indicators.compute(*period(), [region_id("04")], exact=True)
        for key, expected in EXPECTED_04.items():
            assert board.figure(key).count == expected, key
        delays = {delay.key: delay for delay in board.delays}
        assert delays["arrival_to_first_appointment"].days == ((7, 1), (10, 1), (30, 1))
        assert delays["arrival_to_first_appointment"].median == 10
        assert delays["arrival_to_plan"].days == ((20, 1),)
        assert board.reception == indicators.Reception(welcomed=2, left_for_host_city=1)
        assert board.airport_welcomed == 4
        assert board.figure("airport_booked_held").rate(exact=True) == 50.0
        assert [r.code for r in board.pilot_regions] == ["04"]
        # The province: region 06's case, referral and reception added.
        province = indicators.compute(*period(), None, exact=True)
        assert province.figure("opened").count == 6
        assert province.figure("served").count == 4
        assert province.figure("francisation_referred").count == 2
        assert province.figure("served").by_region == {region_id("04"): 3, region_id("06"): 1}
        assert province.reception.welcomed == 3


def test_no_indicator_waits_for_the_follow_ups_any_more(app, data):
    """Every indicator but the employment gap (a source outside casework) has a case set."""
    with app.app_context():
        board = indicators.compute(*period(), None, exact=True)
    assert indicators.PENDING_FUNCTIONS == {}
    assert not any(figure.pending for figure in board.figures.values())
    external = {key for key, figure in board.figures.items() if figure.external}
    assert external == {"employment_gap"}
    assert board.figure("employment_gap").rate(True) is None


def test_supervisor_sees_the_page_with_small_counts_suppressed(app, client, login, data):
    login(role="supervisor", region="04")
    page = client.get(PAGE + query())
    assert page.status_code == 200
    text = page.text
    assert "&lt; 5" in text
    # Five cases opened: shown; three persons served: « < 5 », linked to the list.
    opened = re.search(
        r"Dossiers ouverts</th>\s*<td class=\"numeric\"><a href=\"([^\"]+)\">5</a>", text
    )
    assert opened, "five cases opened, shown exactly"
    assert re.search(r"moins d’un rendez-vous|Personnes servies", text)
    assert "disponible avec les suivis" not in text
    assert "non consigné" in text
    assert "l. 1884" in text and "l. 1019" in text and "l. 1023" in text
    assert "l. 1278, 1429, 1722" in text and "l. 647–660" in text
    assert re.search(r"\b3\b</a>", text) is None  # no count under five escapes as a number
    with app.app_context():
        audit = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "indicators.viewed")
        ).all()
    assert audit


def listed(client, href: str) -> set[str]:
    page = client.get(href.replace("&amp;", "&")).text
    return set(re.findall(r'href="/dossiers/(\d+)"', page))


def test_each_figure_lists_the_cases_it_counts(app, client, login, data):
    login(role="supervisor", region="04")
    text = client.get(PAGE + query()).text
    links = re.findall(
        r'<a href="(/dossiers/\?cohort=indicator_([a-z_0-9]+)[^"]*)">([^<]+)</a>', text
    )
    keys = {key for _href, key, _value in links}
    assert set(EXPECTED_04) | {"arrival_to_first_appointment", "arrival_to_plan"} <= keys
    ours = {str(data[f"case{n}"]) for n in range(1, 6)}
    expected = {**EXPECTED_04, "arrival_to_first_appointment": 3, "arrival_to_plan": 1}
    for href, key, value in links:
        shown = listed(client, href)
        if key in expected and "region=" in href and f"region={_region(app, '17')}" not in href:
            assert len(shown) == expected[key], (key, shown)
        assert value == ("&lt; 5" if len(shown) < 5 else str(len(shown)))
        assert shown <= ours, key  # never region 06's case
    # A case set is kept in the list's pagination and in its CSV export.
    first = links[0][0].replace("&amp;", "&")
    page = client.get(first).text
    assert "cohort=indicator_" in page and "Dossiers comptés dans un rapport" in page


def _region(app, code: str) -> int:
    with app.app_context():
        return region_id(code)


def test_drill_down_count_equals_the_list(app, client, login, data):
    """The case set behind a figure and the caseload it opens are one function."""
    login(role="supervisor", region="04")
    start, end = period()
    with app.app_context():
        board = indicators.compute(start, end, [region_id("04"), region_id("17")], exact=True)
    for key in ("opened", "served", "airport_booked", "arrival_to_first_appointment"):
        count = (
            board.figure(key).count
            if key in board.figures
            else next(d.n for d in board.delays if d.key == key)
        )
        href = f"/dossiers/?cohort=indicator_{key}&start={start}&end={end}"
        assert len(listed(client, href)) == count, key
    # A forged or unknown case set is refused, never everything.
    unknown = client.get(f"/dossiers/?cohort=indicator_nope&start={start}&end={end}")
    assert unknown.status_code == 400


def test_another_regions_supervisor_sees_none_of_these_cases(app, client, login, data):
    login(role="supervisor", region="06")
    start, end = period()
    with app.app_context():
        ours = region_id("04")
    assert client.get(PAGE + query(f"&region={ours}")).status_code == 403
    text = client.get(PAGE + query()).text
    assert "Mauricie" not in text.split("</form>")[1]
    for key in ("opened", "served", "pilot_interviews", "airport_booked"):
        shown = listed(client, f"/dossiers/?cohort=indicator_{key}&start={start}&end={end}")
        assert shown <= {str(data["other"])}, key
    assert listed(client, f"/dossiers/?cohort=indicator_opened&start={start}&end={end}") == {
        str(data["other"])
    }


def test_agents_and_partners_have_no_indicators_page(client, login):
    login(role="agent", region="04")
    assert client.get(PAGE).status_code == 403


def test_administrator_sees_the_province_without_case_links(app, client, login, data):
    login(role="admin")
    text = client.get(PAGE + query()).text
    assert "Province (toutes les régions)" in text
    assert "/dossiers/?cohort=" not in text  # administrators do not read case files
    assert re.search(r"Dossiers ouverts</th>\s*<td class=\"numeric\">6</td>", text)


def test_default_period_is_the_current_year(client, login):
    login(role="advisor", region="04")
    text = client.get(PAGE).text
    assert local_today().replace(month=1, day=1).isoformat() in text


def test_csv_is_audited_and_keeps_small_counts_suppressed(app, client, login, data):
    user = login(role="supervisor", region="04")
    path = CSV + query()
    assert confirm(client, path).status_code == 302
    response = client.get(path)
    assert response.status_code == 200
    rows = read_csv(response)
    assert rows[0][:5] == ["Mesure", "Lignes du plan", "Indicateur", "Région", "Nombre"]
    by_label = {row[2]: row for row in rows[1:]}
    assert by_label["Dossiers ouverts"][4] == "5"
    assert by_label["Personnes servies (un rendez-vous tenu dans la période)"][4] == "< 5"
    assert by_label["Inscrites à un cours de français"][4] == "< 5"
    gap = next(row for row in rows[1:] if row[2].startswith("Écart du taux d’emploi"))
    assert gap[4] == "non consigné"
    assert any(row[4] == "non consigné" for row in rows)
    values = [row[4] for row in rows[1:]]
    assert not any(value.isdigit() and int(value) < 5 for value in values)
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "export.indicators", AuditEvent.actor_id == user.id
            )
        ).all()
    assert len(events) == 1 and events[0].details["rows"] == len(rows) - 1


def forget_snapshots(app) -> None:
    """The next view computes the figures (not read from a snapshot)."""
    from casework.reports.models import DashboardSnapshot

    with app.app_context():
        db.session.execute(DashboardSnapshot.__table__.delete())
        db.session.commit()


def test_query_count_does_not_grow_with_the_cases(app, client, login, make_user, count_queries):
    agent = make_user(role="agent", region="04")
    airport = make_user(role="airport", region="06")
    other = make_user(role="agent", region="06")
    login(role="supervisor", region="04")
    with app.app_context():
        build_cases(agent.id, airport.id, other.id)
    client.get(PAGE + query())
    forget_snapshots(app)
    with count_queries() as small:
        assert client.get(PAGE + query()).status_code == 200
    with app.app_context():
        for _ in range(3):
            build_cases(agent.id, airport.id, other.id)
    forget_snapshots(app)
    with count_queries() as large:
        assert client.get(PAGE + query()).status_code == 200
    assert large.count == small.count
    assert small.count < 50
    with count_queries() as kept:  # read from the snapshot just kept
        assert client.get(PAGE + query()).status_code == 200
    assert kept.count < small.count - 25


def test_figures_are_kept_for_fifteen_minutes(app, make_user, data):
    """A second view within MAX_AGE reads the snapshot; after it, the figures are recounted."""
    from casework.reports import snapshots

    agent = make_user(role="agent", region="04")
    start, end = period()
    with app.app_context():
        ours = [region_id("04")]
        first = snapshots.current_indicators(start, end, ours, True)
        db.session.commit()
        helpers.create_case(agent.id)
        kept = snapshots.current_indicators(start, end, ours, True)
        assert kept.figure("opened").count == first.figure("opened").count == 5
        assert kept.computed_at == first.computed_at
        assert kept.figure("served").by_region == first.figure("served").by_region
        assert [d.days for d in kept.delays] == [d.days for d in first.delays]
        later = first.computed_at + snapshots.MAX_AGE
        again = snapshots.current_indicators(start, end, ours, True, now=later)
        assert again.figure("opened").count == 6 and again.computed_at == later


# --- The indicators that read the follow-ups and the referral outcomes -----------------------


def follow_up(agent_id: int, case_id: int, milestone: int | None, **domains) -> None:
    """A follow-up held today, recorded through the follow-ups' operation."""
    from casework.auth.models import User
    from casework.followups import operations as followups

    situations = {domain: followups.Situation(**values) for domain, values in domains.items()}
    followups.record(
        db.session.get(User, agent_id),
        db.session.get(Case, case_id),
        followups.FollowUpValues(held_on=local_today(), milestone=milestone, situations=situations),
    )
    db.session.commit()


def residence(region: str, municipality: str) -> dict:
    return {"region_id": region_id(region), "municipality": municipality}


def outcome(agent_id: int, case_id: int, organisation: str, kind: str, **values):
    """Record the outcome of the case's latest referral to ``organisation`` (by the partner)."""
    from casework.auth.models import User
    from casework.referrals import outcomes

    item = db.session.scalars(
        select(Referral)
        .join(Organisation, Organisation.id == Referral.organisation_id)
        .where(Referral.case_id == case_id, Organisation.code == organisation)
        .order_by(Referral.id.desc())
    ).first()
    outcomes.record(
        db.session.get(User, agent_id),
        item,
        outcomes.OutcomeValues(kind=kind, **values),
        "partner",
    )
    db.session.commit()


def build_followed(agent_id: int) -> dict[str, int]:
    """Cases of region 04, opened today, followed today.

    Residence and employment (milestone of the follow-up):
      A destination 04 Trois-Rivières, lives at 6 months in Trois-Rivières; employed in field.
      B destination 06 Montréal, lives at 6 in Shawinigan (04); employed outside field.
      C destination 06, at 6 first Shawinigan then, corrected, Montréal; looking for work.
      D destination 16 Longueuil (in the CMM), at 6 in Saint-Hyacinthe (16, outside); studying.
      E destination 11, at 6 in Les Îles-de-la-Madeleine; employment not asked.
      F destination 11, at 12 months in Gaspé; employed in field at 12.
      G a follow-up at no milestone (residence Québec): not counted at 6 or 12.
      H at 6, housing only: not asked the residence nor the employment.
    Francisation (referred to Francisation Québec 5 days ago unless said):
      P enrolled online (partner), level 4 recorded at a follow-up;
      Q enrolled full time (partner), then corrected « did not happen »;
      R no outcome, a follow-up records them enrolled part time (no level);
      S referred 100 days ago (outside the period), enrolled;
      T never referred, a follow-up records them enrolled.
    Requalification (MTESS, target CNP 4032, sent 5 days ago):
      U training started and finished; a follow-up: employed in field, CNP 2021 41221 (= 4032);
      V training started; finished reported then corrected; employed with CNP 7237 (other);
      W a job obtained with CNP 4032, recorded on its MTESS referral;
      X target CNP 7237, employed with CNP 2021 41221: the others' target, not theirs.
    """
    made = {}
    destinations = {
        "A": ("04", "Trois-Rivières"),
        "B": ("06", "Montréal"),
        "C": ("06", "Montréal"),
        "D": ("16", "Longueuil"),
        "E": ("11", "Cap-aux-Meules"),
        "F": ("11", "Gaspé"),
        "G": ("03", "Québec"),
        "H": ("04", "Trois-Rivières"),
    }
    for key in "ABCDEFGHPQRSTUVWX":
        made[key] = helpers.create_case(agent_id).id
    for key, (code, city) in destinations.items():
        person = db.session.get(Case, made[key]).person
        person.destination_region_id, person.destination_city = region_id(code), city
    db.session.commit()
    employed = {"employment_status": "employed_in_field"}
    follow_up(
        agent_id, made["A"], 6, residence=residence("04", "Trois-Rivières"), employment=employed
    )
    follow_up(
        agent_id,
        made["B"],
        6,
        residence=residence("04", "Shawinigan"),
        employment={"employment_status": "employed_outside_field"},
    )
    follow_up(agent_id, made["C"], 6, residence=residence("04", "Shawinigan"))
    follow_up(
        agent_id,
        made["C"],
        6,
        residence=residence("06", "Montréal"),
        employment={"employment_status": "looking_for_work"},
    )
    follow_up(
        agent_id,
        made["D"],
        6,
        residence=residence("16", "Saint-Hyacinthe"),
        employment={"employment_status": "studying"},
    )
    follow_up(agent_id, made["E"], 6, residence=residence("11", "Les Îles-de-la-Madeleine"))
    follow_up(agent_id, made["F"], 12, residence=residence("11", "Gaspé"), employment=employed)
    follow_up(agent_id, made["G"], None, residence=residence("03", "Québec"), employment=employed)
    follow_up(agent_id, made["H"], 6, housing={"housing_status": "stable"})
    case = {key: db.session.get(Case, ident) for key, ident in made.items()}
    for key in "PQR":
        referral(case[key], "francisation_quebec", [(5, "draft", "sent")])
    referral(case["S"], "francisation_quebec", [(100, "draft", "sent")])
    db.session.commit()
    outcome(agent_id, made["P"], "francisation_quebec", "enrolled", course_format="online")
    follow_up(
        agent_id,
        made["P"],
        None,
        french={"french_enrolled": True, "french_level": 4, "french_format": "online"},
    )
    outcome(agent_id, made["Q"], "francisation_quebec", "enrolled", course_format="full_time")
    outcome(agent_id, made["Q"], "francisation_quebec", "enrolled", happened=False)
    follow_up(
        agent_id, made["R"], 3, french={"french_enrolled": True, "french_format": "part_time"}
    )
    outcome(agent_id, made["S"], "francisation_quebec", "enrolled", course_format="online")
    follow_up(agent_id, made["T"], 3, french={"french_enrolled": True, "french_format": "online"})
    for key in "UVWX":
        referral(case[key], "mtess", [(5, "draft", "sent")], kind="requalification")
        db.session.flush()
        item = db.session.scalars(select(Referral).where(Referral.case_id == made[key])).one()
        item.details = {"target_cnp": "7237" if key == "X" else "4032"}
    db.session.commit()
    for key in "UV":
        outcome(agent_id, made[key], "mtess", "training_started")
    outcome(agent_id, made["U"], "mtess", "training_finished")
    outcome(agent_id, made["V"], "mtess", "training_finished")
    outcome(agent_id, made["V"], "mtess", "training_finished", happened=False)
    follow_up(
        agent_id,
        made["U"],
        None,
        employment={
            "employment_status": "employed_in_field",
            "employment_cnp": "41221",
            "employment_cnp_version": "2021",
        },
    )
    follow_up(
        agent_id,
        made["X"],
        None,
        employment={
            "employment_status": "employed_in_field",
            "employment_cnp": "41221",
            "employment_cnp_version": "2021",
        },
    )
    follow_up(
        agent_id,
        made["V"],
        None,
        employment={
            "employment_status": "employed_outside_field",
            "employment_cnp": "7237",
            "employment_cnp_version": "2016",
        },
    )
    from casework.referrals.models import ReferralOutcome

    job_referral = db.session.scalars(select(Referral).where(Referral.case_id == made["W"])).one()
    db.session.add(
        ReferralOutcome(
            referral_id=job_referral.id,
            case_id=made["W"],
            kind="job_obtained",
            cnp="4032",
            cnp_version="2016",
            source="partner",
        )
    )
    db.session.commit()
    return made


EXPECTED_FOLLOWED = {
    "followed_6": 5,  # A B C D E (H was not asked; G has no milestone)
    "destination_outside_cmm": 2,  # A (04) and E (11); Longueuil is in the CMM
    "outside_cmm_6": 4,  # A B D E; C's correction puts them in Montréal
    "followed_12": 1,
    "outside_cmm_12": 1,
    "iles_de_la_madeleine": 1,
    "employment_followed_6": 4,  # A B C D
    "employed_6": 2,
    "employed_in_field_6": 1,
    "employment_followed_12": 1,
    "employed_12": 1,
    "employed_in_field_12": 1,
    "francisation_referred": 3,  # P Q R (S before the period)
    "francisation_enrolled": 2,  # P (outcome) R (follow-up); Q corrected; T not referred
    "francisation_online": 1,
    "francisation_in_person": 1,
    "francisation_level": 1,
    "requalification_referred": 4,
    "requalification_started": 2,
    "requalification_finished": 1,
    "requalification_job": 2,  # U (CNP 2021 of 4032) and W; V's and X's jobs are not theirs
}


@pytest.fixture
def followed(app, make_user):
    agent = make_user(role="agent", region="04")
    with app.app_context():
        return build_followed(agent.id)


def test_follow_up_indicators_on_a_hand_built_set(app, followed):
    with app.app_context():
        board = indicators.compute(*period(), [region_id("04")], exact=True)
        for key, expected in EXPECTED_FOLLOWED.items():
            assert board.figure(key).count == expected, key
        assert board.figure("outside_cmm_6").rate(True) == 80.0
        assert board.figure("employed_6").rate(True) == 50.0
        assert board.figure("francisation_enrolled").rate(True) == pytest.approx(66.7)
        table = {(row.destination, row.settlement): row for row in board.settlement}
        mauricie = db.session.get(Region, region_id("04")).label
        montreal = db.session.get(Region, region_id("06")).label
        gaspesie = db.session.get(Region, region_id("11")).label
        assert table[(montreal, mauricie)].at_6 == 1
        assert table[(montreal, mauricie)].rate(6, True) == 50.0
        assert table[(montreal, montreal)].at_6 == 1
        assert table[(mauricie, mauricie)].rate(6, True) == 100.0
        assert table[(gaspesie, "Îles-de-la-Madeleine")].at_6 == 1
        assert table[(gaspesie, "Îles-de-la-Madeleine")].at_12 == 0
        assert table[(gaspesie, "Gaspésie")].at_12 == 1
        assert table[(gaspesie, "Gaspésie")].rate(12, True) == 100.0
        assert sum(row.at_6 for row in board.settlement) == 5
        assert sum(row.at_12 for row in board.settlement) == 1
        # Another region sees none of them; a period before today, none either.
        assert (
            indicators.compute(*period(), [region_id("06")], True).figure("followed_6").count == 0
        )
        before = local_today() - timedelta(days=1)
        earlier = indicators.compute(before - timedelta(days=30), before, None, True)
        assert earlier.figure("followed_6").count == 0 and earlier.settlement == []


def test_follow_up_figures_list_the_cases_they_count(app, client, login, followed):
    login(role="supervisor", region="04")
    start, end = period()
    members = {
        "outside_cmm_6": "ABDE",
        "destination_outside_cmm": "AE",
        "iles_de_la_madeleine": "E",
        "employed_in_field_12": "F",
        "francisation_enrolled": "PR",
        "francisation_level": "P",
        "requalification_job": "UW",
    }
    for key, cases in members.items():
        href = f"/dossiers/?cohort=indicator_{key}&start={start}&end={end}"
        assert listed(client, href) == {str(followed[c]) for c in cases}, key
    for key, count in EXPECTED_FOLLOWED.items():  # every figure: its list is its count
        href = f"/dossiers/?cohort=indicator_{key}&start={start}&end={end}"
        assert len(listed(client, href)) == count, key
    text = client.get(PAGE + query()).text
    assert "disponible avec les suivis" not in text
    assert "Par région d’arrivée et d’établissement" in text
    assert "Îles-de-la-Madeleine" in text
    assert re.search(r'cohort=indicator_followed_6[^"]*">5</a>', text)
    assert re.search(r'cohort=indicator_outside_cmm_6[^"]*">&lt; 5</a>', text)


def test_follow_up_indicators_keep_a_constant_query_count(
    app, client, login, make_user, count_queries
):
    agent = make_user(role="agent", region="04")
    login(role="supervisor", region="04")
    with app.app_context():
        build_followed(agent.id)
    client.get(PAGE + query())
    forget_snapshots(app)
    with count_queries() as small:
        assert client.get(PAGE + query()).status_code == 200
    with app.app_context():
        for _ in range(2):
            build_followed(agent.id)
    forget_snapshots(app)
    with count_queries() as large:
        assert client.get(PAGE + query()).status_code == 200
    assert large.count == small.count


def test_a_small_count_cannot_be_worked_out_from_a_total():
    """Complementary suppression: beside their total, one count under five hides the smallest
    other too; exact figures (one's own caseload) are never hidden."""
    assert indicators.protected([12, 3, 40], exact=False) == [None, 3, 40]
    assert indicators.protected([12, 3, 2, 40], exact=False) == [12, 3, 2, 40]  # two small
    assert indicators.protected([12, 30], exact=False) == [12, 30]
    assert indicators.protected([12, 3], exact=True) == [12, 3]
    assert indicators.shown(None, exact=False) == str(indicators.HIDDEN)


def test_the_settlement_table_as_the_page_shows_it(app):
    row = indicators.SettlementRow("04 Mauricie", "06 Montréal", 6, 12, 3, 3)
    with app.test_request_context():
        assert indicators.settlement_cells([row], exact=True) == [
            ("04 Mauricie", "06 Montréal", ["6", "50,0 %", "3", "100,0 %"])
        ]
        # Outside one's own caseload, counts under five and the rates built on them are hidden.
        assert indicators.settlement_cells([row], exact=False) == [
            ("04 Mauricie", "06 Montréal", ["6", "50,0 %", "< 5", "—"])
        ]
