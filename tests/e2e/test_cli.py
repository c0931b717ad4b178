"""The ``factorybot`` command as a person runs it: real processes, real ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.sandbox import SlackRequestBuilder, SlackStandIn
from storage.migrate import head_revision
from tests.e2e.conftest import BOT_TOKEN, MEMBER, SIGNING_SECRET

FACTORYBOT = [sys.executable, "-m", "bot.runtime.cli"]


def _run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*FACTORYBOT, *args], capture_output=True, text=True, env=_env(env), cwd=cwd, timeout=120
    )


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR")}
    keep["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return {**keep, **(extra or {})}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_help_lists_every_command() -> None:
    out = _run("--help").stdout
    for command in ("run", "serve", "scheduler", "jobs", "db", "config"):
        assert f"    {command}" in out


@pytest.mark.parametrize("command", ["serve", "run"])
def test_starting_without_slack_variables_says_what_is_missing(tmp_path: Path, command: str) -> None:
    proc = _run(command, cwd=tmp_path)
    assert proc.returncode == 2
    assert "missing SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET" in proc.stderr
    assert "manifest.yml" in proc.stderr


def test_socket_mode_needs_only_the_bot_and_app_tokens(tmp_path: Path) -> None:
    proc = _run("run", env={"SLACK_APP_TOKEN": "xapp-1-A1-123-abc"}, cwd=tmp_path)
    assert proc.returncode == 2
    assert "missing SLACK_BOT_TOKEN." in proc.stderr


def test_a_rejected_token_stops_start_up_with_a_clear_line(tmp_path: Path) -> None:
    with SlackStandIn() as slack:
        slack.fail("auth.test", error="invalid_auth")
        proc = _run(
            "serve",
            "--port",
            str(_free_port()),
            env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.api_url,
                 "FACTORY_SCHEDULER": "off"},
            cwd=tmp_path,
        )
    assert proc.returncode == 2
    assert "SLACK_BOT_TOKEN: Slack did not accept the token (invalid_auth)" in proc.stderr
    assert BOT_TOKEN not in proc.stderr


def test_config_masks_secrets(tmp_path: Path) -> None:
    proc = _run("config", env={"SLACK_BOT_TOKEN": "xoxb-1234-5678-verysecretvalue"}, cwd=tmp_path)
    assert proc.returncode == 0
    assert "verysecret" not in proc.stdout
    assert "****alue" in proc.stdout
    assert "DATABASE_URL" in proc.stdout and "sqlite:///factorybot.db" in proc.stdout


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    proc = _run("db", "upgrade", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    head = head_revision()
    assert f"database at revision {head}" in proc.stdout
    assert f"current: {head}  head: {head}" in _run("db", "current", env={"DATABASE_URL": url}, cwd=tmp_path).stdout


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, SlackStandIn]]:
    """``factorybot serve`` as a real process against the stand-in, on the embedded SQLite default."""
    with SlackStandIn() as slack:
        port = _free_port()
        env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.api_url}
        proc = subprocess.Popen(
            [*FACTORYBOT, "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", "4"],
            env=_env(env), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, proc)
            yield url, slack
        finally:
            stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, as a process manager would; kill only if it does not stop within 10 s."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _wait_healthy(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"factorybot serve exited: {proc.stdout.read()}")
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("factorybot serve did not become healthy")


def test_serve_answers_signed_commands_and_creates_its_database(
    served: tuple[str, SlackStandIn], tmp_path: Path
) -> None:
    url, slack = served
    signed = SlackRequestBuilder(
        signing_secret=SIGNING_SECRET, url=f"{url}/slack/events", response_url_base=slack.response_url("")
    )
    resp = signed.slash_command("/factory", "help", user_id=MEMBER)
    assert resp.status_code == 200 and resp.json()["response_type"] == "ephemeral"
    assert signed.slash_command("/factory", "help", user_id=MEMBER, signature="v0=bad").status_code == 401
    signed.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    slack.wait_for("views.publish")
    assert (tmp_path / "factorybot.db").exists()


def test_serve_starts_the_scheduler_and_jobs_list_shows_its_next_run(
    served: tuple[str, SlackStandIn], tmp_path: Path
) -> None:
    deadline = time.monotonic() + 15
    while True:
        out = _run("jobs", "list", cwd=tmp_path).stdout
        line = next(line for line in out.splitlines() if "maintenance.forget_old_events" in line)
        if "03:00" in line or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "03:00" in line, out


def test_a_server_database_behind_the_code_is_refused_until_db_upgrade(tmp_path: Path) -> None:
    """On PostgreSQL nothing is migrated behind the operator's back: `serve` says what to run."""
    from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL

    if not ON_POSTGRES:
        pytest.skip("needs FACTORYBOT_TEST_DATABASE_URL=postgresql…")
    import uuid

    from sqlalchemy import text

    from storage.db import Database

    schema = f"factorybot_cli_{uuid.uuid4().hex[:8]}"
    admin = Database(TEST_DATABASE_URL)
    with admin.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = f"{TEST_DATABASE_URL}?options=-csearch_path%3D{schema}"
        env = {"DATABASE_URL": url, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
        proc = _run("serve", "--port", str(_free_port()), env=env, cwd=tmp_path)
        assert proc.returncode == 2
        assert "run `factorybot db upgrade`" in proc.stderr
        assert _run("db", "upgrade", env={"DATABASE_URL": url}, cwd=tmp_path).returncode == 0
        assert f"current: {head_revision()}" in _run("db", "current", env={"DATABASE_URL": url}, cwd=tmp_path).stdout
    finally:
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
