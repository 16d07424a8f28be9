"""Schemathesis fuzzes the API from its own OpenAPI document, with a partner's token: no answer
is a 5xx, and every answer conforms to the document (status, content type, schema).

Each operation gets valid (positive) and invalid (negative) requests generated from the schemas,
sent to the application in-process (WSGI). The strategies are driven by Hypothesis directly:
schemathesis' own pytest plugin does not run under this pytest version.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Enough examples to reach every parameter and body shape; the whole run stays near a minute.
EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_as_its_document_says(mode, app, issue_token, sent_referral):
    for status in ("sent", "accepted", "sent"):  # low ids exist, in states the writes accept
        sent_referral(status)
    headers = issue_token(organisation="promis", rate_limit=10_000).headers
    found = operations(app)
    assert len(found) >= 10
    statuses: list[int] = []
    for operation in found:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            statuses.append(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

        fuzz()
    assert len(statuses) >= 5 * len(found)  # it did send requests, and many
    if mode is GenerationMode.POSITIVE:
        assert statuses.count(200) >= len(found)  # and valid ones got through


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_expected_arrivals_answer_as_documented(mode, app, issue_token, make_user):
    """The arrivals' write with the ministry's token (an airport account, arrivals:write): no
    5xx, every answer as documented, whatever the body and the Idempotency-Key."""
    headers = issue_token(
        user=make_user(role="airport"), scopes=("arrivals:write",), rate_limit=10_000
    ).headers
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema["/api/v1/arrivals"]["POST"]
    statuses: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def fuzz(case):
        if mode is GenerationMode.POSITIVE and isinstance(case.body, dict):
            # random times are almost all years away: bring them near, so that 201 and 200
            # answers are generated and checked against the document too
            case.body.update(arrives_at=soon, destination_region="06", date_of_birth="1990-01-01")
        statuses.append(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="seconds")
    fuzz()
    assert len(statuses) >= 30 and 500 not in statuses
    if mode is GenerationMode.POSITIVE:
        assert 201 in statuses
