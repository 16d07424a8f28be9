import os
import stat

import pytest

from casework import config


def test_secret_key_is_generated_once_with_private_permissions(tmp_path, monkeypatch):
    monkeypatch.delenv("CASEWORK_SECRET_KEY", raising=False)
    first = config.load_or_create_secret_key(tmp_path)
    second = config.load_or_create_secret_key(tmp_path)
    key_file = tmp_path / "secret_key"
    assert first == second
    assert len(first) >= 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEWORK_SECRET_KEY", "from-the-environment")
    assert config.load_or_create_secret_key(tmp_path) == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_default_database_is_sqlite_in_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEWORK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("CASEWORK_DATABASE_URL", raising=False)
    settings = config.from_environment()
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'casework.sqlite3'}"
    assert settings["BABEL_DEFAULT_LOCALE"] == "fr_CA"
    assert settings["MAX_CONTENT_LENGTH"] > 0


@pytest.mark.parametrize(
    "url",
    ["not a url", "mysql://root@localhost/db", "postgresql+asyncpg://u@h/db", "://nothing"],
)
def test_malformed_or_unsupported_database_url_is_a_clear_error(url, tmp_path, monkeypatch):
    monkeypatch.setenv("CASEWORK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CASEWORK_DATABASE_URL", url)
    with pytest.raises(config.ConfigError) as error:
        config.from_environment()
    assert "CASEWORK_DATABASE_URL" in str(error.value)


def test_non_numeric_setting_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEWORK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CASEWORK_IDLE_TIMEOUT_MINUTES", "thirty")
    with pytest.raises(config.ConfigError, match="CASEWORK_IDLE_TIMEOUT_MINUTES"):
        config.from_environment()


def test_forwarded_address_is_ignored_unless_proxies_are_trusted(tmp_path, monkeypatch):
    from flask import request

    from casework.app import create_app

    monkeypatch.setenv("CASEWORK_INSTANCE_PATH", str(tmp_path))
    seen = []
    for hops in (0, 1):
        app = create_app(
            {"TRUSTED_PROXIES": hops, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"}
        )
        client = app.test_client()
        app.before_request_funcs.setdefault(None, []).insert(
            0, lambda: seen.append(request.remote_addr)
        )
        client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    assert seen[0] != "203.0.113.9"
    assert seen[1] == "203.0.113.9"


def test_a_lease_too_short_for_an_smtp_conversation_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEWORK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CASEWORK_SMTP_TIMEOUT_SECONDS", "15")
    monkeypatch.setenv("CASEWORK_CLAIM_LEASE_SECONDS", "30")
    with pytest.raises(config.ConfigError, match="au moins 41"):
        config.from_environment()
    monkeypatch.setenv("CASEWORK_CLAIM_LEASE_SECONDS", "41")
    settings = config.from_environment()
    assert (settings["CLAIM_LEASE_SECONDS"], settings["EMAIL_LIFETIME_HOURS"]) == (41, 48)
