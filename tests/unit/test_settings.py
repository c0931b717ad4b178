import subprocess
import sys
from pathlib import Path

import pytest

from bot.runtime.settings import SettingsError, load_settings


def test_defaults_work_without_any_variable() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///factorybot.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.timezone == "UTC"
    assert settings.admins == ()
    assert settings.effective_mlflow_uri == f"sqlite:///{Path('mlflow.db').resolve()}"


def test_mlflow_store_defaults_beside_the_bot_database(tmp_path: Path) -> None:
    settings = load_settings(DATABASE_URL=f"sqlite:///{tmp_path}/data/bot.db")
    assert settings.effective_mlflow_uri == f"sqlite:///{tmp_path}/data/mlflow.db"


def test_environment_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("FACTORY_TIMEZONE=Europe/Paris\nFACTORY_ADMINS=U01ADMIN, U02ADMIN\n")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    settings = load_settings()
    assert settings.timezone == "Europe/Paris"
    assert settings.admins == ("U01ADMIN", "U02ADMIN")
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"
    assert settings.is_admin("U02ADMIN") and not settings.is_admin("U03OTHER")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("FACTORY_TIMEZONE", "Mars/Olympus", "FACTORY_TIMEZONE: expected an IANA time zone"),
        ("FACTORY_ADMINS", "U01ADMIN,alice", "FACTORY_ADMINS: expected comma-separated Slack user IDs"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "SLACK_BOT_TOKEN: expected a bot token starting with xoxb-"),
        ("SLACK_APP_TOKEN", "xoxb-wrong-kind", "SLACK_APP_TOKEN: expected an app-level token"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL: expected an http(s) URL"),
        ("DATABASE_URL", "not a url", "DATABASE_URL: expected a SQLite or PostgreSQL URL"),
        ("DATABASE_URL", "mysql://bot@db/factory", "DATABASE_URL: expected a SQLite or PostgreSQL URL"),
        ("FACTORY_POLICY_FILE", "/nowhere/policy.yml", "FACTORY_POLICY_FILE: expected the path of an existing"),
        ("FACTORY_SCHEDULER", "maybe", "FACTORY_SCHEDULER: expected on or off"),
        ("FACTORY_LISTENER_THREADS", "0", "FACTORY_LISTENER_THREADS: expected a whole number"),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg"])
def test_postgresql_urls_use_the_bundled_driver(scheme: str) -> None:
    """Heroku-style ``postgres://`` URLs work as given: psycopg 3 is the driver that ships."""
    settings = load_settings(DATABASE_URL=f"{scheme}://bot:p%40ss@db.internal:5432/factory")
    assert settings.database_url == "postgresql+psycopg://bot:p%40ss@db.internal:5432/factory"


def test_an_unsupported_database_lists_the_supported_ones_without_its_password() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(DATABASE_URL="mysql://bot:hunter2@db/factory")
    line = str(info.value)
    assert "sqlite:///" in line and "postgresql://" in line and "postgres://" in line
    assert "hunter2" not in line and "\n" not in line


def test_secret_values_never_appear_in_errors_or_masked_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "not-a-bot-token-secret-1234")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "secret" not in str(info.value)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1111-2222-supersecretvalue")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "abcdef0123456789signing")
    shown = load_settings().masked()
    assert shown["SLACK_BOT_TOKEN"] == "****alue"
    assert "supersecret" not in str(shown) and "abcdef0123456789" not in str(shown)


def test_cli_reports_a_bad_setting_in_one_line_with_exit_2(tmp_path: Path) -> None:
    env = {"PATH": "", "FACTORY_TIMEZONE": "Nowhere/Land", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", "config"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "factorybot: FACTORY_TIMEZONE: expected an IANA time zone such as Europe/Paris, got 'Nowhere/Land'"
    ]
