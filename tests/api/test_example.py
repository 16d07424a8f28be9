"""The example of docs/api.md runs: a partner synchronises and accepts its referrals."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from requests.adapters import BaseAdapter

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


class FlaskAdapter(BaseAdapter):
    """Sends requests' requests to the application in-process (no network in tests)."""

    def __init__(self, client):
        super().__init__()
        self.client = client

    def send(self, request, **kwargs):
        answer = self.client.open(
            request.path_url,
            method=request.method,
            headers=dict(request.headers),
            data=request.body,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers.update(answer.headers)
        response._content = answer.get_data()
        response.url = request.url
        response.request = request
        return response

    def close(self):
        return None


def example_code() -> str:
    return re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)


def test_the_documented_partner_synchronisation_runs(client, issue_token, sent_referral, capsys):
    sent = [sent_referral() for _ in range(3)]
    accepted_before = sent_referral("accepted")
    token = issue_token(organisation="promis")
    namespace: dict = {}
    exec(compile(example_code(), str(DOC), "exec"), namespace)
    session = requests.Session()
    session.mount("http://localhost/", FlaskAdapter(client))
    session.headers["Authorization"] = f"Bearer {token.secret}"
    base = "http://localhost/api/v1"

    mark = namespace["synchronise"](session, base, None)
    printed = capsys.readouterr().out
    for referral_id in [*sent, accepted_before]:
        assert f"{referral_id} " in printed
    statuses = {i["id"]: i["status"] for i in session.get(f"{base}/referrals").json()["items"]}
    assert all(statuses[i] == "accepted" for i in sent)

    later = namespace["synchronise"](session, base, mark)
    again = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert later >= mark  # times are to the second: both runs may fall within one
    # What the first run accepted changed since, and the mark itself is inclusive: nothing else.
    assert {int(line[0]) for line in again} == {*sent, accepted_before}
    assert all(line[1] == "accepted" for line in again)
