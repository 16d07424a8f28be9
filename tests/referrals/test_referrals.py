"""Referrals: ranked suggestions, lifecycle, consent gate, disclosure register, scoping."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from casework.extensions import db
from casework.referrals.models import Disclosure, Referral, ReferralEvent
from casework.referrals.views import MOVE_PATHS
from tests import helpers


def _final_plan_with(app, agent, case_id, levels):
    """Complete an assessment with ``levels`` and finalise the plan built from it."""
    from casework.assessments import operations as assessments
    from casework.auth.models import User
    from casework.cases.models import Case
    from casework.plans import operations as plans
    from casework.reference.models import Domain, Need

    with app.app_context():
        user, case = db.session.get(User, agent.id), db.session.get(Case, case_id)
        needs = {
            (n.domain.code, n.code): n.id for n in db.session.scalars(select(Need).join(Domain))
        }
        draft = assessments.start(user, case)
        assessments.save(
            user,
            draft,
            assessments.AssessmentValues(
                interview_date=date.today(),
                interview_mode="phone",
                levels={needs[k]: v for k, v in levels.items()},
            ),
            draft.version,
            complete=True,
        )
        plan, _ = plans.generate(user, case)
        db.session.flush()
        plans.finalise(user, case, plan, plan.version)
        db.session.commit()
        return {a.service: a.id for a in plan.actions}


@pytest.fixture
def referral_setup(app, login, make_case):
    agent = login(role="agent", region="06")
    case = make_case(agent, languages_spoken=["es", "fr"], immigration_category="economic")
    actions = _final_plan_with(
        app,
        agent,
        case.id,
        {("settlement", "housing"): "high", ("employment", "job_search"): "moderate"},
    )
    return agent, case, actions


def _suggestions(app, case_id, action_id):
    from casework.cases.models import Case
    from casework.plans.models import PlanAction
    from casework.referrals import operations

    with app.app_context():
        return [
            (s.organisation.code, s.score, tuple(s.reasons))
            for s in operations.suggest(
                db.session.get(Case, case_id), db.session.get(PlanAction, action_id)
            )
        ]


def test_suggestions_are_ranked_explained_and_deterministic(app, client, referral_setup):
    _, case, actions = referral_setup
    first = _suggestions(app, case.id, actions["pasi_partner"])
    assert first == _suggestions(app, case.id, actions["pasi_partner"])
    scores = [score for _, score, _ in first]
    assert scores == sorted(scores, reverse=True)
    _, _, top_reasons = first[0]
    assert any("région" in reason for reason in top_reasons)
    page = client.get(f"/dossiers/{case.id}/plan/actions/{actions['pasi_partner']}/orienter").text
    assert "Pourquoi" in page
    mtess = _suggestions(app, case.id, actions["mtess"])
    assert [code for code, _, _ in mtess] == ["mtess"]


def _create(client, case_id, action_id, organisation_id, override=""):
    return helpers.post_form(
        client,
        f"/dossiers/{case_id}/plan/actions/{action_id}/orienter",
        {"organisation_id": str(organisation_id), "override_reason": override},
    )


def _organisation_id(app, code):
    from casework.reference.models import Organisation

    with app.app_context():
        return db.session.scalar(select(Organisation.id).where(Organisation.code == code))


def test_an_organisation_outside_the_region_needs_a_reason(app, client, referral_setup):
    _, case, actions = referral_setup
    estrie = _organisation_id(app, "placeholder_05")  # the Estrie's PASI partner
    _create(client, case.id, actions["pasi_partner"], estrie)
    with app.app_context():
        assert db.session.scalar(select(Referral).where(Referral.case_id == case.id)) is None
    assert (
        _create(
            client, case.id, actions["pasi_partner"], estrie, "La personne déménage à Sherbrooke"
        ).status_code
        == 302
    )
    assert (
        _create(client, case.id, actions["pasi_partner"], 999999).status_code == 200
    )  # forged id: form again


def _move(client, referral_id, to_status, version, **extra):
    return helpers.post_form(
        client,
        f"/references/{referral_id}/{MOVE_PATHS.get(to_status, to_status)}",
        {"version": str(version), **extra},
        token_from=f"/references/{referral_id}",
    )


def _referral(app, case_id):
    with app.app_context():
        referral = db.session.scalars(select(Referral).where(Referral.case_id == case_id)).one()
        return referral.id, referral.version, referral.status


def test_the_whole_lifecycle_with_consent_gate_and_disclosure(
    app, client, login, make_user, referral_setup
):
    _, case, actions = referral_setup
    promis = _organisation_id(app, "promis")
    _create(client, case.id, actions["pasi_partner"], promis)
    rid, version, status = _referral(app, case.id)
    assert status == "draft"
    assert _move(client, rid, "approved", version).status_code == 409  # the agent cannot approve
    assert _move(client, rid, "submitted", version).status_code == 302

    advisor_browser = app.test_client()
    advisor = make_user(role="advisor", region="06")
    helpers.login(advisor_browser, advisor.username, advisor.password)
    rid, version, _ = _referral(app, case.id)
    assert (
        _move(advisor_browser, rid, "returned", version).status_code == 302
    )  # a comment is needed
    assert _referral(app, case.id)[2] == "submitted"
    assert (
        _move(advisor_browser, rid, "returned", version, comment="Préciser le besoin").status_code
        == 302
    )
    rid, version, _ = _referral(app, case.id)
    _move(client, rid, "submitted", version)
    rid, version, _ = _referral(app, case.id)
    assert _move(advisor_browser, rid, "approved", version).status_code == 302
    assert (
        _move(advisor_browser, rid, "approved", version + 1).status_code == 409
    )  # already decided

    rid, version, _ = _referral(app, case.id)
    _move(client, rid, "sent", version)  # no consent yet: refused, nothing changes
    with app.app_context():
        assert db.session.get(Referral, rid).status == "approved"
        assert db.session.scalar(select(Disclosure).where(Disclosure.referral_id == rid)) is None
    helpers.post_form(
        client,
        f"/dossiers/{case.id}/consentements",
        {"purpose": "share_partner", "given_on": date.today().isoformat(), "method": "signed"},
    )
    assert _move(client, rid, "sent", version).status_code == 302
    with app.app_context():
        disclosure = db.session.scalar(select(Disclosure).where(Disclosure.referral_id == rid))
        assert (
            disclosure.legal_basis == "consent:share_partner"
            and disclosure.organisation_id == promis
        )

    partner_browser = app.test_client()
    partner = make_user(role="partner", organisation="promis")
    helpers.login(partner_browser, partner.username, partner.password)
    page = partner_browser.get(f"/references/{rid}").text
    assert case.number not in page  # the partner never sees the case file
    rid, version, _ = _referral(app, case.id)
    assert _move(partner_browser, rid, "accepted", version).status_code == 302
    rid, version, _ = _referral(app, case.id)
    assert (
        _move(partner_browser, rid, "not_completed", version, reason="unreachable").status_code
        == 302
    )
    with app.app_context():
        events = db.session.scalars(
            select(ReferralEvent).where(ReferralEvent.referral_id == rid).order_by(ReferralEvent.id)
        ).all()
        assert [e.to_status for e in events] == [
            "draft",
            "submitted",
            "returned",
            "submitted",
            "approved",
            "sent",
            "accepted",
            "not_completed",
        ]
        assert all(e.actor_id is not None and e.occurred_at is not None for e in events)


def test_scoping_of_partners_and_advisors(app, client, login, make_user, referral_setup):
    _, case, actions = referral_setup
    _create(client, case.id, actions["pasi_partner"], _organisation_id(app, "promis"))
    rid, version, _ = _referral(app, case.id)
    _move(client, rid, "submitted", version)
    other_advisor = app.test_client()
    elsewhere = make_user(role="advisor", region="03")
    helpers.login(other_advisor, elsewhere.username, elsewhere.password)
    assert other_advisor.get(f"/references/{rid}").status_code == 403
    assert _move(other_advisor, rid, "approved", version + 1).status_code == 403
    other_partner = app.test_client()
    stranger = make_user(role="partner", organisation="cfiq")
    helpers.login(other_partner, stranger.username, stranger.password)
    assert other_partner.get(f"/references/{rid}").status_code == 403
    own_partner = app.test_client()
    promis_user = make_user(role="partner", organisation="promis")
    helpers.login(own_partner, promis_user.username, promis_user.password)
    assert own_partner.get(f"/references/{rid}").status_code == 404  # not sent yet


def test_advisor_queue_queries_are_bounded(app, client, login, make_user, make_case, count_queries):
    agent = login(role="agent", region="06")
    for _ in range(2):
        case = make_case(agent)
        actions = _final_plan_with(app, agent, case.id, {("settlement", "housing"): "high"})
        _create(client, case.id, actions["pasi_partner"], _organisation_id(app, "promis"))
    advisor_browser = app.test_client()
    advisor = make_user(role="advisor", region="06")
    helpers.login(advisor_browser, advisor.username, advisor.password)
    with count_queries() as few:
        advisor_browser.get("/references/?status=draft")
    for _ in range(6):
        case = make_case(agent)
        actions = _final_plan_with(app, agent, case.id, {("settlement", "housing"): "high"})
        _create(client, case.id, actions["pasi_partner"], _organisation_id(app, "promis"))
    with count_queries() as many:
        page = advisor_browser.get("/references/?status=draft").text
    assert many.count == few.count
    assert page.count('href="/references/') >= 8


def test_only_an_organisation_offering_the_service_can_be_chosen(app, client, referral_setup):
    _, case, actions = referral_setup
    # PROMIS serves the region but is not MTESS: a forged choice for an MTESS action is refused.
    assert (
        _create(client, case.id, actions["mtess"], _organisation_id(app, "promis")).status_code
        == 200
    )
    with app.app_context():
        assert db.session.scalar(select(Referral).where(Referral.case_id == case.id)) is None


def test_referrals_follow_their_case_to_its_new_agent(app, client, make_user, referral_setup):
    _, case, actions = referral_setup
    _create(client, case.id, actions["pasi_partner"], _organisation_id(app, "promis"))
    receiver = make_user(role="agent", region="03")
    with app.app_context():
        helpers.give_consent(case.agent_id, case.id, "transfer_region")
    helpers.post_form(
        client,
        f"/dossiers/{case.id}/transfert",
        {"to_agent_id": str(receiver.id), "reason": "Déménagement"},
    )
    other = app.test_client()
    helpers.login(other, receiver.username, receiver.password)
    listing = other.get("/transferts/").text
    transfer_id = re.search(r"/transferts/(\d+)/accepter", listing).group(1)
    helpers.post_form(other, f"/transferts/{transfer_id}/accepter", token_from="/transferts/")
    rid, _, _ = _referral(app, case.id)
    assert other.get(f"/references/{rid}").status_code == 200
    assert client.get(f"/references/{rid}").status_code == 403


def test_a_partner_cannot_probe_an_unsent_referral(app, client, make_user, referral_setup):
    _, case, actions = referral_setup
    _create(client, case.id, actions["pasi_partner"], _organisation_id(app, "promis"))
    rid, version, _ = _referral(app, case.id)
    partner_browser = app.test_client()
    partner = make_user(role="partner", organisation="promis")
    helpers.login(partner_browser, partner.username, partner.password)
    token = helpers.csrf_token(partner_browser, "/")
    response = partner_browser.post(
        f"/references/{rid}/acceptee", data={"version": str(version), "csrf_token": token}
    )
    assert response.status_code == 404


def _submitted_referrals(app, client, agent, make_case, count, organisation="promis"):
    ids = []
    for _ in range(count):
        case = make_case(agent)
        actions = _final_plan_with(app, agent, case.id, {("settlement", "housing"): "high"})
        _create(client, case.id, actions["pasi_partner"], _organisation_id(app, organisation))
        rid, version, _ = _referral(app, case.id)
        _move(client, rid, "submitted", version)
        ids.append(rid)
    return ids


def test_advisor_bulk_approves_and_filters(app, client, login, make_user, make_case):
    agent = login(role="agent", region="06")
    ids = _submitted_referrals(app, client, agent, make_case, 3)
    advisor_browser = app.test_client()
    advisor = make_user(role="advisor", region="06")
    helpers.login(advisor_browser, advisor.username, advisor.password)
    queue = advisor_browser.get("/references/").text
    for rid in ids:
        assert f'href="/references/{rid}"' in queue
    assert (
        f'href="/references/{ids[0]}"'
        not in advisor_browser.get("/references/?domaine=employment").text
    )
    with app.app_context():
        versions = {rid: db.session.get(Referral, rid).version for rid in ids}
    selection = [
        f"{ids[0]}:{versions[ids[0]]}",
        f"{ids[1]}:{versions[ids[1]] + 5}",
    ]  # the second is stale
    token = helpers.csrf_token(advisor_browser, "/references/")
    response = advisor_browser.post(
        "/references/approuver", data={"selection": selection, "csrf_token": token}
    )
    assert response.status_code == 302
    with app.app_context():
        assert [db.session.get(Referral, rid).status for rid in ids] == [
            "approved",
            "submitted",
            "submitted",
        ]
    loads = advisor_browser.get("/references/organismes")
    assert loads.status_code == 200 and "PROMIS" in loads.text


def test_mtess_requalification_referral_carries_its_details_and_priority(
    app, client, login, make_case
):
    from casework.assessments import operations as assessments
    from casework.auth.models import User
    from casework.cases.models import Case
    from casework.plans import operations as plans
    from casework.reference.models import Domain, Need

    agent = login(role="agent", region="06")
    record = make_case(agent, french_level_self="intermediate", french_level_scale=6)
    with app.app_context():
        user, case = db.session.get(User, agent.id), db.session.get(Case, record.id)
        need = db.session.scalar(
            select(Need)
            .join(Domain)
            .where(Domain.code == "employment", Need.code == "requalification")
        )
        draft = assessments.start(user, case)
        assessments.save(
            user,
            draft,
            assessments.AssessmentValues(
                interview_date=date.today(),
                interview_mode="in_person",
                levels={need.id: "high"},
                requalification_interest=True,
                current_occupation="Ingénieur civil",
                current_cnp="21300",
                target_cnp="2143",
            ),
            draft.version,
            complete=True,
        )
        plan, _ = plans.generate(user, case)
        db.session.flush()
        plans.finalise(user, case, plan, plan.version)
        db.session.commit()
        action_id = next(a.id for a in plan.actions if a.service == "mtess")
    mtess = _organisation_id(app, "mtess")
    missing = _create(client, record.id, action_id, mtess)
    assert missing.status_code == 200 and "intensité de" in missing.text
    response = helpers.post_form(
        client,
        f"/dossiers/{record.id}/plan/actions/{action_id}/orienter",
        {
            "organisation_id": str(mtess),
            "interest": "high",
            "availability": "Soirs et fins de semaine",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        referral = db.session.scalars(select(Referral).where(Referral.case_id == record.id)).one()
        assert referral.kind == "requalification"
        details = referral.details
        assert (details["current_occupation"], details["target_cnp"], details["french_scale"]) == (
            "Ingénieur civil",
            "2143",
            6,
        )
        assert details["priority"] in ("high", "medium", "low") and details["priority_score"] > 3
    page = client.get(f"/references/{referral.id}").text
    assert "Requalification (MTESS)" in page and "Soirs et fins de semaine" in page


def test_referral_page_queries_do_not_grow_with_its_history(
    app, client, make_user, referral_setup, count_queries
):
    _, case, actions = referral_setup
    _create(client, case.id, actions["pasi_partner"], _organisation_id(app, "promis"))
    rid, version, _ = _referral(app, case.id)
    with count_queries() as short:
        client.get(f"/references/{rid}")
    for _ in range(3):  # three different advisors, so each event has its own actor to load
        advisor_browser = app.test_client()
        advisor = make_user(role="advisor", region="06")
        helpers.login(advisor_browser, advisor.username, advisor.password)
        rid, version, _ = _referral(app, case.id)
        _move(client, rid, "submitted", version)
        rid, version, _ = _referral(app, case.id)
        _move(advisor_browser, rid, "returned", version, comment="À préciser")
    with count_queries() as long:
        page = client.get(f"/references/{rid}").text
    assert page.count("À préciser") == 4  # the history, and the latest above the summary
    assert long.count == short.count


def _outaouais_suggestions(app, login, make_case, agent=None, **person):
    """The Outaouais' regionalisation partnership (SITO, CIEL, CJEP) serves some cities only."""
    agent = agent or login(role="agent", region="07")
    case = make_case(agent, immigration_category="economic", **person)
    actions = _final_plan_with(app, agent, case.id, {("settlement", "regionalisation"): "high"})
    return case, actions, _suggestions(app, case.id, actions["regionalisation"])


def _by_code(ranked):
    return {
        code: (position, score, reasons) for position, (code, score, reasons) in enumerate(ranked)
    }


def test_an_organisation_serving_the_persons_city_ranks_first(app, client, login, make_case):
    case, actions, ranked = _outaouais_suggestions(app, login, make_case, city="Chelsea")
    assert ranked == _suggestions(app, case.id, actions["regionalisation"])  # deterministic
    found = _by_code(ranked)
    assert found["ciel"][0] < found["sito"][0] and found["ciel"][0] < found["cjep"][0]
    assert "Dessert la ville de Chelsea" in found["ciel"][2]
    assert "Dessert d'autres villes que Chelsea" in found["sito"][2]
    assert "Dessert d'autres villes que Chelsea" in found["cjep"][2]
    page = client.get(
        f"/dossiers/{case.id}/plan/actions/{actions['regionalisation']}/orienter"
    ).text
    assert "Dessert la ville de Chelsea" in page and "autres villes que Chelsea" in page


def test_city_matching_ignores_accents_case_and_abbreviations(app, login, make_case):
    _, _, ranked = _outaouais_suggestions(app, login, make_case, city="st-andre-avellin")
    found = _by_code(ranked)
    assert found["cjep"][0] < found["ciel"][0] and found["cjep"][0] < found["sito"][0]
    assert "Dessert la ville de st-andre-avellin" in found["cjep"][2]


def test_the_destination_city_counts_when_the_person_has_no_city_yet(app, login, make_case):
    _, _, ranked = _outaouais_suggestions(app, login, make_case, destination_city="Gatineau")
    found = _by_code(ranked)
    assert "Dessert la ville de Gatineau" in found["sito"][2]
    assert "Dessert d'autres villes que Gatineau" in found["ciel"][2]
    assert found["sito"][0] < found["ciel"][0]


def test_no_city_or_no_list_changes_nothing(app, login, make_case):
    agent = login(role="agent", region="07")
    _, _, unknown = _outaouais_suggestions(app, login, make_case, agent)
    _, _, in_town = _outaouais_suggestions(app, login, make_case, agent, city="Gatineau")
    for _code, _score, reasons in unknown:
        assert not any("ville" in reason for reason in reasons)
    # Organisations with no list (the whole region, or all of Québec) score the same either way.
    scores = {code: score for code, score, _ in unknown}
    for code, score, _ in in_town:
        if code not in ("sito", "ciel", "cjep"):
            assert score == scores[code], code


def _bulk_return(browser, selection, comment):
    token = helpers.csrf_token(browser, "/references/")
    return browser.post(
        "/references/retourner",
        data={"selection": selection, "comment": comment, "csrf_token": token},
    )


def test_advisor_returns_a_selection_with_one_comment(app, client, login, make_user, make_case):
    from casework.core.audit import AuditEvent

    agent = login(role="agent", region="06")
    ids = _submitted_referrals(app, client, agent, make_case, 3)
    elsewhere_browser = app.test_client()
    elsewhere_agent = make_user(role="agent", region="03")
    helpers.login(elsewhere_browser, elsewhere_agent.username, elsewhere_agent.password)
    (foreign,) = _submitted_referrals(
        app, elsewhere_browser, elsewhere_agent, make_case, 1, "placeholder_03"
    )
    advisor_browser = app.test_client()
    advisor = make_user(role="advisor", region="06")
    helpers.login(advisor_browser, advisor.username, advisor.password)
    queue = advisor_browser.get("/references/").text
    assert "Retourner la sélection" in queue
    with app.app_context():
        versions = {rid: db.session.get(Referral, rid).version for rid in [*ids, foreign]}
    # The third was approved meanwhile: it is no longer awaiting review.
    _move(advisor_browser, ids[2], "approved", versions[ids[2]])
    selection = [f"{rid}:{versions[rid]}" for rid in (*ids, foreign)]
    response = _bulk_return(advisor_browser, selection, "  Préciser le besoin de logement  ")
    assert response.status_code == 302
    page = advisor_browser.get("/references/").text
    assert "2 références retournées" in page
    assert f"#{ids[2]}, #{foreign}" in page
    with app.app_context():
        statuses = [db.session.get(Referral, rid).status for rid in (*ids, foreign)]
        assert statuses == ["returned", "returned", "approved", "submitted"]
        for rid in ids[:2]:
            last = db.session.scalars(
                select(ReferralEvent)
                .where(ReferralEvent.referral_id == rid)
                .order_by(ReferralEvent.id.desc())
            ).first()
            assert (last.from_status, last.to_status) == ("submitted", "returned")
            assert (last.actor_id, last.comment) == (advisor.id, "Préciser le besoin de logement")
            assert last.occurred_at is not None
            assert db.session.get(Referral, rid).last_comment == "Préciser le besoin de logement"
        audited = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "referral.returned", AuditEvent.actor_id == advisor.id
            )
        ).all()
        assert sorted(e.details["referral_id"] for e in audited) == sorted(ids[:2])


def test_returning_a_selection_needs_a_comment_and_changes_nothing_without(
    app, client, login, make_user, make_case
):
    agent = login(role="agent", region="06")
    ids = _submitted_referrals(app, client, agent, make_case, 2)
    advisor_browser = app.test_client()
    advisor = make_user(role="advisor", region="06")
    helpers.login(advisor_browser, advisor.username, advisor.password)
    with app.app_context():
        before = {rid: db.session.get(Referral, rid).version for rid in ids}
        events = db.session.scalar(select(func.count(ReferralEvent.id)))
    selection = [f"{rid}:{before[rid]}" for rid in ids]
    response = _bulk_return(advisor_browser, selection, "   ")
    assert response.status_code == 200
    assert "Écrivez un commentaire" in response.text
    assert 'id="comment-error"' in response.text
    for value in selection:  # what was chosen is still chosen
        assert re.search(rf'value="{value}"[^>]* checked', response.text)
    nothing = _bulk_return(advisor_browser, [], "Préciser")
    assert nothing.status_code == 200 and "Sélectionnez au moins une référence" in nothing.text
    with app.app_context():
        assert {rid: db.session.get(Referral, rid).version for rid in ids} == before
        assert db.session.scalar(select(func.count(ReferralEvent.id))) == events
        assert all(db.session.get(Referral, rid).status == "submitted" for rid in ids)


def test_return_many_refuses_an_empty_comment_before_touching_anything(
    app, client, login, make_user, make_case
):
    from casework.auth.models import User
    from casework.referrals import operations

    agent = login(role="agent", region="06")
    (rid,) = _submitted_referrals(app, client, agent, make_case, 1)
    advisor = make_user(role="advisor", region="06")
    with app.app_context():
        referral = db.session.get(Referral, rid)
        with pytest.raises(operations.ReferralError):
            operations.return_many(db.session.get(User, advisor.id), {rid: referral.version}, " ")
        assert db.session.get(Referral, rid).status == "submitted"


def test_returning_a_selection_without_a_valid_token_is_400(app, login, make_user):
    advisor_browser = app.test_client()
    advisor = make_user(role="advisor", region="06")
    helpers.login(advisor_browser, advisor.username, advisor.password)
    response = advisor_browser.post(
        "/references/retourner", data={"selection": ["1:1"], "comment": "Préciser"}
    )
    assert response.status_code == 400
