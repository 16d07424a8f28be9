"""Several browsers reading files at once on the default SQLite database: every read writes its
audit row, so reads are also writes; none may fail with « database is locked »."""

import threading

import pytest

from tests import helpers

pytestmark = pytest.mark.no_transaction


def test_parallel_reads_of_case_files_all_succeed(tmp_path, monkeypatch):
    import os

    if os.environ.get("CASEWORK_TEST_DATABASE_URL"):
        pytest.skip("SQLite locking behaviour")
    monkeypatch.setenv("CASEWORK_INSTANCE_PATH", str(tmp_path))
    from casework.app import create_app
    from casework.reference.seed import load_reference_data
    from casework.setup import upgrade_schema

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'parallel.sqlite3'}"})
    with app.app_context():
        upgrade_schema()
        load_reference_data(app.config["SEED_DIR"])
        agent = helpers.create_user(role="agent")
        case = helpers.create_case(agent.id)
    statuses: list[int] = []

    def browse() -> None:
        client = app.test_client()
        helpers.login(client, agent.username, agent.password)
        for _ in range(15):
            statuses.append(client.get(f"/dossiers/{case.id}").status_code)

    threads = [threading.Thread(target=browse) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 90
