"""Action plans: rules as data, generation, draft editing, versions, follow-up, validation."""

import re
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from casework.extensions import db
from casework.plans.models import Plan, PlanAction
from tests import helpers

SEED = Path(__file__).resolve().parents[2] / "seed"


def test_every_need_of_the_catalogue_has_a_rule():
    domains = yaml.safe_load((SEED / "domains.yaml").read_text(encoding="utf-8"))["domains"]
    rules = yaml.safe_load((SEED / "plan_rules.yaml").read_text(encoding="utf-8"))
    pairs = {(d["code"], n["code"]) for d in domains for n in d["needs"]}
    ruled = [(r["domain"], r["need"]) for r in rules["rules"]]
    assert sorted(ruled) == sorted(pairs)
    for rule in rules["rules"]:
        assert rule["actions"], rule["need"]
        for action in rule["actions"]:
            assert action["service"] in rules["services"] and action["assignee"] in (
                "agent",
                "person",
            )


def _complete_assessment(
    app, case_id: int, agent_id: int, levels: dict[tuple[str, str], str]
) -> None:
    from casework.assessments import operations as assessments
    from casework.auth.models import User
    from casework.cases.models import Case
    from casework.reference.models import Domain, Need

    with app.app_context():
        user, case = db.session.get(User, agent_id), db.session.get(Case, case_id)
        draft = assessments.start(user, case)
        needs = {
            (n.domain.code, n.code): n.id for n in db.session.scalars(select(Need).join(Domain))
        }
        values = assessments.AssessmentValues(
            interview_date=date.today(),
            interview_mode="in_person",
            levels={needs[key]: level for key, level in levels.items()},
        )
        assessments.save(user, draft, values, draft.version, complete=True)
        db.session.commit()


@pytest.fixture
def assessed_case(app, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    _complete_assessment(
        app,
        case.id,
        agent.id,
        {
            ("settlement", "housing"): "urgent",
            ("francisation", "enrolment"): "moderate",
            ("employment", "job_search"): "low",
        },
    )
    return agent, case


def _version(client, case_id: int) -> str:
    return helpers.form_fields(client.get(f"/dossiers/{case_id}/plan/").text).get("version", "")


def test_generation_follows_the_rules_urgent_first_with_due_dates(app, client, assessed_case):
    _, case = assessed_case
    response = helpers.post_form(
        client, f"/dossiers/{case.id}/plan/generer", token_from=f"/dossiers/{case.id}/plan/"
    )
    assert response.status_code == 302
    with app.app_context():
        plan = db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one()
        actions = list(plan.actions)
        levels = [a.level for a in actions]
        assert levels == sorted(levels, key=["urgent", "high", "moderate", "low"].index)
        offsets = yaml.safe_load((SEED / "plan_rules.yaml").read_text(encoding="utf-8"))[
            "due_offsets_days"
        ]
        first = actions[0]
        assert first.due_on == date.today() + timedelta(days=offsets["urgent"])
        assert {a.need_id for a in actions} and all(a.status == "todo" for a in actions)
    page = client.get(f"/dossiers/{case.id}/plan/").text
    assert "(brouillon)" in page


def test_plan_needs_a_completed_assessment(app, client, login, make_case):
    agent = login(role="agent")
    case = make_case(agent)
    response = helpers.post_form(
        client, f"/dossiers/{case.id}/plan/generer", token_from=f"/dossiers/{case.id}/plan/"
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Plan).where(Plan.case_id == case.id)) is None


def _status_version(client, case_id) -> str:
    page = client.get(f"/dossiers/{case_id}/plan/").text
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def _generate(client, case_id):
    helpers.post_form(
        client, f"/dossiers/{case_id}/plan/generer", token_from=f"/dossiers/{case_id}/plan/"
    )


def test_edit_the_draft_add_move_remove_schedule(app, client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    url = f"/dossiers/{case.id}/plan"
    added = helpers.post_form(
        client,
        f"{url}/actions",
        {
            "version": _version(client, case.id),
            "objective": "Réseau",
            "label": "Appeler la cousine à Laval",
            "service": "none",
            "assignee": "person",
            "due_on": (date.today() + timedelta(days=10)).isoformat(),
        },
    )
    assert added.status_code == 302
    with app.app_context():
        plan = db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one()
        ids = [a.id for a in plan.actions]
        assert plan.actions[-1].label == "Appeler la cousine à Laval"
    last = ids[-1]
    assert (
        helpers.post_form(
            client, f"{url}/actions/{last}/monter", {"version": _version(client, case.id)}
        ).status_code
        == 302
    )
    with app.app_context():
        order = [
            a.id
            for a in db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one().actions
        ]
        assert order[-2] == last
    assert (
        helpers.post_form(
            client, f"{url}/actions/{last}/retirer", {"version": _version(client, case.id)}
        ).status_code
        == 302
    )
    fields = helpers.form_fields(client.get(f"{url}/").text, "calendrier")
    first = ids[0]
    fields[f"due_{first}"] = (date.today() + timedelta(days=90)).isoformat()
    fields[f"assignee_{first}"] = "person"
    assert client.post(f"{url}/echeances", data=fields).status_code == 302
    with app.app_context():
        action = db.session.get(PlanAction, first)
        assert (action.due_on, action.assignee) == (date.today() + timedelta(days=90), "person")
        assert db.session.get(PlanAction, last) is None


def test_stale_draft_edit_is_409(client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    stale = _version(client, case.id)
    helpers.post_form(
        client,
        f"/dossiers/{case.id}/plan/actions",
        {"version": stale, "objective": "O", "label": "A", "service": "none", "assignee": "agent"},
    )
    response = helpers.post_form(
        client,
        f"/dossiers/{case.id}/plan/finaliser",
        {"version": stale},
        token_from=f"/dossiers/{case.id}/plan/",
    )
    assert response.status_code == 409


def test_finalise_then_follow_up_and_abandon_with_reason(app, client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    assert (
        helpers.post_form(
            client, f"/dossiers/{case.id}/plan/finaliser", {"version": _version(client, case.id)}
        ).status_code
        == 302
    )
    with app.app_context():
        plan = db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one()
        assert plan.status == "final" and plan.finalised_at is not None
        action_id = plan.actions[0].id
    url = f"/dossiers/{case.id}/plan/actions/statut"
    helpers.post_form(
        client,
        url,
        {
            "actions": [action_id],
            "status": "abandoned",
            "reason": "",
            "version": _status_version(client, case.id),
        },
        token_from=f"/dossiers/{case.id}/plan/",
    )
    with app.app_context():
        assert db.session.get(PlanAction, action_id).status == "todo"
    stale = _status_version(client, case.id)
    helpers.post_form(
        client,
        url,
        {
            "actions": [action_id],
            "status": "abandoned",
            "reason": "A trouvé un logement seule",
            "version": stale,
        },
        token_from=f"/dossiers/{case.id}/plan/",
    )
    # A second tab still showing the old page cannot overwrite it.
    second_tab = helpers.post_form(
        client,
        url,
        {"actions": [action_id], "status": "done", "version": stale},
        token_from=f"/dossiers/{case.id}/plan/",
    )
    assert second_tab.status_code == 409
    with app.app_context():
        action = db.session.get(PlanAction, action_id)
        assert (action.status, action.abandon_reason) == ("abandoned", "A trouvé un logement seule")
    # A finalised plan cannot be edited.
    with app.app_context():
        plan = db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one()
        before, plan_version = len(plan.actions), plan.version
    response = helpers.post_form(
        client,
        f"/dossiers/{case.id}/plan/actions",
        {
            "version": str(plan_version),
            "objective": "O",
            "label": "A",
            "service": "none",
            "assignee": "agent",
        },
        token_from=f"/dossiers/{case.id}/plan/",
    )
    assert response.status_code == 302
    assert "ne peut pas être modifié" in client.get(f"/dossiers/{case.id}/plan/").text
    with app.app_context():
        assert (
            len(db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one().actions)
            == before
        )


def test_a_plan_with_no_action_cannot_be_finalised(app, client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    with app.app_context():
        ids = [
            a.id
            for a in db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one().actions
        ]
    for action_id in ids:
        helpers.post_form(
            client,
            f"/dossiers/{case.id}/plan/actions/{action_id}/retirer",
            {"version": _version(client, case.id)},
        )
    response = helpers.post_form(
        client, f"/dossiers/{case.id}/plan/finaliser", {"version": _version(client, case.id)}
    )
    assert response.status_code == 302
    with app.app_context():
        assert (
            db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one().status == "draft"
        )
    assert "au moins une action" in client.get(f"/dossiers/{case.id}/plan/").text


def test_a_new_version_keeps_the_follow_up_of_unchanged_actions(app, client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    helpers.post_form(
        client, f"/dossiers/{case.id}/plan/finaliser", {"version": _version(client, case.id)}
    )
    with app.app_context():
        first = db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one().actions[0]
        label, first_id = first.label, first.id
    helpers.post_form(
        client,
        f"/dossiers/{case.id}/plan/actions/statut",
        {"actions": [first_id], "status": "done", "version": _status_version(client, case.id)},
        token_from=f"/dossiers/{case.id}/plan/",
    )
    _generate(client, case.id)
    with app.app_context():
        plans = db.session.scalars(
            select(Plan).where(Plan.case_id == case.id).order_by(Plan.number)
        ).all()
        assert [(p.number, p.status) for p in plans] == [(1, "final"), (2, "draft")]
        carried = next(a for a in plans[1].actions if a.label == label)
        assert carried.status == "done"
    assert client.get(f"/dossiers/{case.id}/plan/1").status_code == 200


def test_access_to_plans(app, client, login, make_user, make_case, assessed_case):
    _, case = assessed_case
    helpers.post_form(client, "/deconnexion", token_from="/")
    login(role="advisor", region="06")
    assert client.get(f"/dossiers/{case.id}/plan/").status_code == 200
    assert (
        helpers.post_form(client, f"/dossiers/{case.id}/plan/generer", token_from="/").status_code
        == 403
    )
    helpers.post_form(client, "/deconnexion", token_from="/")
    login(role="agent", region="03")
    assert client.get(f"/dossiers/{case.id}/plan/").status_code == 403


def test_plan_page_queries_are_bounded(app, client, assessed_case, count_queries):
    _, case = assessed_case
    _generate(client, case.id)
    with count_queries() as counter:
        assert client.get(f"/dossiers/{case.id}/plan/").status_code == 200
    assert counter.count <= 14


def test_finalising_saves_the_due_dates_on_screen(app, client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    fields = helpers.form_fields(client.get(f"/dossiers/{case.id}/plan/").text, "calendrier")
    due_field = next(name for name in fields if re.fullmatch(r"due_\d+", name))
    later = (date.today() + timedelta(days=120)).isoformat()
    fields[due_field] = later
    assert client.post(f"/dossiers/{case.id}/plan/finaliser", data=fields).status_code == 302
    with app.app_context():
        action = db.session.get(PlanAction, int(due_field.split("_")[1]))
        assert action.due_on.isoformat() == later and action.plan.status == "final"


def test_a_past_due_date_is_refused(app, client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    fields = helpers.form_fields(client.get(f"/dossiers/{case.id}/plan/").text, "calendrier")
    due_field = next(name for name in fields if re.fullmatch(r"due_\d+", name))
    fields[due_field] = "1900-01-01"
    client.post(f"/dossiers/{case.id}/plan/echeances", data=fields)
    with app.app_context():
        assert db.session.get(PlanAction, int(due_field.split("_")[1])).due_on.year != 1900
    assert "Action 1" in client.get(f"/dossiers/{case.id}/plan/").text


def test_actions_added_by_hand_come_back_in_the_next_version(app, client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    helpers.post_form(
        client,
        f"/dossiers/{case.id}/plan/actions",
        {
            "version": _version(client, case.id),
            "objective": "Réseau",
            "label": "Appeler la cousine",
            "service": "none",
            "assignee": "person",
        },
    )
    helpers.post_form(
        client, f"/dossiers/{case.id}/plan/finaliser", {"version": _version(client, case.id)}
    )
    _generate(client, case.id)
    with app.app_context():
        draft = db.session.scalars(
            select(Plan).where(Plan.case_id == case.id, Plan.number == 2)
        ).one()
        assert "Appeler la cousine" in [a.label for a in draft.actions]


def test_plan_page_queries_do_not_grow_with_actions(app, client, assessed_case, count_queries):
    _, case = assessed_case
    _generate(client, case.id)
    with count_queries() as few:
        client.get(f"/dossiers/{case.id}/plan/")
    for index in range(20):
        helpers.post_form(
            client,
            f"/dossiers/{case.id}/plan/actions",
            {
                "version": _version(client, case.id),
                "objective": "O",
                "label": f"Action {index}",
                "service": "none",
                "assignee": "agent",
            },
        )
    with count_queries() as many:
        client.get(f"/dossiers/{case.id}/plan/")
    assert many.count == few.count


def test_printable_plan_in_french_by_default_and_english_on_request(app, client, assessed_case):
    _, case = assessed_case
    assert (
        client.get(f"/dossiers/{case.id}/plan/imprimer").status_code == 404
    )  # nothing finalised yet
    _generate(client, case.id)
    helpers.post_form(
        client, f"/dossiers/{case.id}/plan/finaliser", {"version": _version(client, case.id)}
    )
    with app.app_context():
        actions = db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one().actions
        theirs = next(a for a in actions if a.assignee == "person")
        label, label_en = theirs.label, theirs.label_en
        agent_labels = [a.label for a in actions if a.assignee == "agent"]
    french = client.get(f"/dossiers/{case.id}/plan/imprimer")
    assert french.status_code == 200 and '<html lang="fr-CA">' in french.text
    text = unescape(french.text)
    assert "Votre plan d'action" in text and label in text
    # It speaks to the person: « vous », never the agent's « Orienter la personne… ».
    assert "Votre agente ou agent vous" in text and "Votre étape" in text
    assert not any(agent_label in text for agent_label in agent_labels)
    assert "Orienter" not in text and "la personne" not in text
    assert "Où aller :" in text and "À apporter :" in text
    english = unescape(client.get(f"/dossiers/{case.id}/plan/imprimer?langue=en").text)
    assert '<html lang="en">' in english and "Your action plan" in english
    assert label_en in english and "Your agent refers you" in english
    assert "What to bring:" in english
    # The interface stays in French afterwards.
    assert '<html lang="fr-CA">' in client.get(f"/dossiers/{case.id}/plan/").text


def test_plan_as_a_pdf_download(app, client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    helpers.post_form(
        client, f"/dossiers/{case.id}/plan/finaliser", {"version": _version(client, case.id)}
    )
    for query in ("", "?langue=en"):
        response = client.get(f"/dossiers/{case.id}/plan/imprimer.pdf{query}")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.data.startswith(b"%PDF") and len(response.data) > 1500
    with app.app_context():
        from casework.core.audit import AuditEvent

        outputs = db.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "plan.printed")
        ).all()
        assert [d["output"] for d in outputs] == ["pdf", "pdf"]


def _draft_ids(app, case_id):
    with app.app_context():
        plan = db.session.scalars(select(Plan).where(Plan.case_id == case_id)).one()
        return [a.id for a in plan.actions]


def test_removing_a_draft_action_asks_for_confirmation_first(app, client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    url = f"/dossiers/{case.id}/plan"
    first, second = _draft_ids(app, case.id)[:2]
    # The table's button saves what is on screen, then asks; nothing is removed yet.
    fields = helpers.form_fields(client.get(f"{url}/").text, "calendrier")
    fields[f"due_{second}"] = (date.today() + timedelta(days=45)).isoformat()
    asked = client.post(f"{url}/actions/{first}/demande-de-retrait", data=fields)
    assert asked.status_code == 302
    assert asked.headers["Location"].endswith(f"{url}/actions/{first}/retirer")
    with app.app_context():
        assert db.session.get(PlanAction, first) is not None
        assert db.session.get(PlanAction, second).due_on == date.today() + timedelta(days=45)
    # The confirmation page works without JavaScript: a POST form and a link back.
    page = client.get(f"{url}/actions/{first}/retirer")
    assert page.status_code == 200
    assert "Retirer cette action ?" in page.text
    assert re.search(r'<form method="post" class="confirm-panel__actions">', page.text)
    assert f'href="{url}/"' in page.text and "Retirer l'action</button>" in page.text
    confirm = helpers.form_fields(page.text)
    assert client.post(f"{url}/actions/{first}/retirer", data=confirm).status_code == 302
    with app.app_context():
        assert db.session.get(PlanAction, first) is None
        assert db.session.get(PlanAction, second) is not None
    assert client.get(f"{url}/actions/{first}/retirer").status_code == 404


def test_the_plan_page_remove_button_no_longer_removes_at_once(client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    page = client.get(f"/dossiers/{case.id}/plan/").text
    assert "/demande-de-retrait" in page
    assert not re.search(r'formaction="[^"]*/retirer"', page)


def test_a_confirmation_left_open_while_the_draft_changed_is_409(app, client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    url = f"/dossiers/{case.id}/plan"
    first = _draft_ids(app, case.id)[0]
    stale = helpers.form_fields(client.get(f"{url}/actions/{first}/retirer").text)
    helpers.post_form(
        client,
        f"{url}/actions",
        {
            "version": _version(client, case.id),
            "objective": "Réseau",
            "label": "Appeler la cousine",
            "service": "none",
            "assignee": "person",
        },
    )
    assert client.post(f"{url}/actions/{first}/retirer", data=stale).status_code == 409
    with app.app_context():
        assert db.session.get(PlanAction, first) is not None
    no_version = {"csrf_token": stale["csrf_token"]}
    assert client.post(f"{url}/actions/{first}/retirer", data=no_version).status_code == 400


def _base_fonts(document: bytes) -> set[str]:
    """The fonts a PDF uses, without the subset prefix (« AAAAAA+DejaVuSans » → « DejaVuSans »)."""
    names = re.findall(rb"/BaseFont /([\w+\-]+)", document)
    return {name.decode().split("+")[-1] for name in names}


def _dejavu_with_bold() -> Path | None:
    from casework.plans import pdf

    for candidate in pdf.FONT_CANDIDATES:
        if candidate and Path(candidate).is_file():
            bold = Path(candidate).with_name(f"{Path(candidate).stem}-Bold.ttf")
            return Path(candidate) if bold.is_file() and "DejaVu" in candidate else None
    return None


def _sample_plan() -> bytes:
    from casework.plans.pdf import PlanLine, render_plan

    return render_plan(
        title="Mon plan d'action",
        header=["Nom : Наталья Петрова"],
        columns=["Quoi faire", "Qui", "Pour le", "Où"],
        lines=[PlanLine("Se loger", "Visiter trois logements", "Vous", "5 déc. 2026", "PROMIS")],
        footer="Conservez cette page.",
    )


@pytest.mark.skipif(
    _dejavu_with_bold() is None, reason="DejaVu Sans and its bold face not installed"
)
def test_the_pdf_prints_headings_and_objectives_in_bold(app, client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    helpers.post_form(
        client, f"/dossiers/{case.id}/plan/finaliser", {"version": _version(client, case.id)}
    )
    document = client.get(f"/dossiers/{case.id}/plan/imprimer.pdf").data
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= _base_fonts(document)


def test_the_pdf_falls_back_to_helvetica_without_a_unicode_font(monkeypatch, tmp_path):
    from casework.plans import pdf

    monkeypatch.setattr(pdf, "FONT_CANDIDATES", (str(tmp_path / "absent.ttf"),))
    fonts = _base_fonts(_sample_plan())
    assert "Helvetica-Bold" in fonts and not any("DejaVu" in name for name in fonts)


@pytest.mark.skipif(_dejavu_with_bold() is None, reason="DejaVu Sans not installed")
def test_a_font_without_its_bold_face_still_prints_in_that_font(monkeypatch, tmp_path):
    from casework.plans import pdf

    alone = tmp_path / "DejaVuSans.ttf"
    alone.write_bytes(_dejavu_with_bold().read_bytes())
    monkeypatch.setattr(pdf, "FONT_CANDIDATES", (str(alone),))
    monkeypatch.delenv("CASEWORK_PDF_FONT_BOLD", raising=False)
    fonts = _base_fonts(_sample_plan())
    assert "DejaVuSans" in fonts and "DejaVuSans-Bold" not in fonts
    # The next plan with the bold face installed is bold again.
    monkeypatch.undo()
    assert "DejaVuSans-Bold" in _base_fonts(_sample_plan())


def test_printed_plan_shows_the_next_appointment(app, client, assessed_case):
    from casework.appointments import operations as appointments
    from casework.appointments.slots import SlotQuery, SlotRef, find_slots
    from casework.auth.models import User
    from casework.cases.models import Case
    from tests.appointments.factories import open_every_day

    agent, case = assessed_case
    _generate(client, case.id)
    helpers.post_form(
        client, f"/dossiers/{case.id}/plan/finaliser", {"version": _version(client, case.id)}
    )
    before = client.get(f"/dossiers/{case.id}/plan/imprimer").text
    assert "Aucun pour l'instant" in unescape(before)
    with app.app_context():
        open_every_day(agent.id)
        slot = find_slots(
            SlotQuery(duration=timedelta(minutes=45), mode="in_person", agent_id=agent.id), 1
        )[0]
        appointments.book_for_case(
            db.session.get(User, agent.id),
            db.session.get(Case, case.id),
            SlotRef(slot.agent_id, slot.service_point_id, slot.starts_at),
            "follow_up",
            "in_person",
        )
        db.session.commit()
        point_name = slot.service_point_name
    after = client.get(f"/dossiers/{case.id}/plan/imprimer").text
    assert "Votre prochain rendez-vous" in after and point_name in after
    assert "285, rue Notre-Dame Ouest" in after or "555-01" in after  # the place's address
    document = client.get(f"/dossiers/{case.id}/plan/imprimer.pdf").data
    assert document.startswith(b"%PDF")


def test_several_actions_take_one_status_at_once_and_a_stale_page_changes_none(
    app, client, assessed_case
):
    _, case = assessed_case
    _generate(client, case.id)
    helpers.post_form(
        client, f"/dossiers/{case.id}/plan/finaliser", {"version": _version(client, case.id)}
    )
    page = client.get(f"/dossiers/{case.id}/plan/").text
    assert 'name="actions"' in page and "button--danger" not in page
    with app.app_context():
        ids = [
            a.id
            for a in db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one().actions
        ]
    assert len(ids) >= 3
    url = f"/dossiers/{case.id}/plan/actions/statut"
    version = _status_version(client, case.id)
    response = helpers.post_form(
        client,
        url,
        {"actions": ids[:2], "status": "in_progress", "version": version},
        token_from=f"/dossiers/{case.id}/plan/",
    )
    assert response.status_code == 302
    assert "2 actions mises à jour" in client.get(f"/dossiers/{case.id}/plan/").text
    with app.app_context():
        assert [db.session.get(PlanAction, i).status for i in ids[:3]] == [
            "in_progress",
            "in_progress",
            "todo",
        ]
    stale = helpers.post_form(
        client,
        url,
        {"actions": ids, "status": "done", "version": version},
        token_from=f"/dossiers/{case.id}/plan/",
    )
    assert stale.status_code == 409
    with app.app_context():
        assert db.session.get(PlanAction, ids[2]).status == "todo"
    # Nothing selected, or an action of another plan: refused, nothing changed.
    for chosen in ([], [999_999]):
        refused = helpers.post_form(
            client,
            url,
            {"actions": chosen, "status": "done", "version": _status_version(client, case.id)},
            token_from=f"/dossiers/{case.id}/plan/",
        )
        assert refused.status_code == 302
    with app.app_context():
        assert db.session.get(PlanAction, ids[2]).status == "todo"


def test_finalising_asks_for_confirmation_first(app, client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    page = client.get(f"/dossiers/{case.id}/plan/").text
    fields = helpers.form_fields(page, "calendrier")
    asked = client.post(f"/dossiers/{case.id}/plan/demande-de-finalisation", data=fields)
    assert asked.status_code == 302 and asked.headers["Location"].endswith("/plan/finaliser")
    confirm = client.get(f"/dossiers/{case.id}/plan/finaliser")
    assert "Finaliser le plan ?" in confirm.text
    with app.app_context():
        assert db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one().is_draft
    confirmed = client.post(
        f"/dossiers/{case.id}/plan/finaliser", data=helpers.form_fields(confirm.text)
    )
    assert confirmed.status_code == 302
    with app.app_context():
        assert (
            db.session.scalars(select(Plan).where(Plan.case_id == case.id)).one().status == "final"
        )


def test_the_assignee_select_is_not_cut(client, assessed_case):
    _, case = assessed_case
    _generate(client, case.id)
    page = client.get(f"/dossiers/{case.id}/plan/").text
    assert "Agente ou agent</option>" in page and "button--danger" not in page


def test_the_printed_plan_is_in_the_persons_language_with_the_agents_contact(
    app, client, assessed_case
):
    from casework.cases.models import Case

    _, case = assessed_case
    _generate(client, case.id)
    helpers.post_form(
        client, f"/dossiers/{case.id}/plan/finaliser", {"version": _version(client, case.id)}
    )
    with app.app_context():
        record = db.session.get(Case, case.id)
        record.person.preferred_language = "en"
        point = record.service_point
        name, phone, address = record.agent.full_name, point.phone, point.address
        db.session.commit()
    english = unescape(client.get(f"/dossiers/{case.id}/plan/imprimer").text)
    assert '<html lang="en">' in english and "Your integration agent" in english
    assert name in english
    if phone:
        assert phone in english and address in english
    french = unescape(client.get(f"/dossiers/{case.id}/plan/imprimer?langue=fr").text)
    assert '<html lang="fr-CA">' in french and "Votre agente ou agent d'intégration" in french
