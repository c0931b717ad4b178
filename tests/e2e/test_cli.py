"""The ``factorybot`` command as a person runs it: real processes, real ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from bot.sandbox import SlackRequestBuilder, SlackStandIn
from storage.migrate import head_revision
from tests.e2e.conftest import BOT_TOKEN, MEMBER, SIGNING_SECRET
from tests.polling import eventually
from tests.support.ports import SilentPort

FACTORYBOT = [sys.executable, "-m", "bot.runtime.cli"]


SLACK_ENV = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}


def _run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*FACTORYBOT, *args], capture_output=True, text=True, env=_env(env), cwd=cwd, timeout=timeout
    )


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR")}
    keep["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return {**keep, **(extra or {})}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _one_line_failure(proc: subprocess.CompletedProcess) -> str:
    """What the README promises for bad configuration: exit 2 and one line naming the problem."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("factorybot: ")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


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
    with SlackStandIn() as slack, _serving(slack, cwd=tmp_path) as (url, _proc):
        yield url, slack


@contextmanager
def _serving(slack: SlackStandIn, *, cwd: Path, env: dict[str, str] | None = None
             ) -> Iterator[tuple[str, subprocess.Popen]]:
    """``factorybot serve`` until the block ends; its output (stdout and stderr) stays readable after."""
    port = _free_port()
    proc = subprocess.Popen(
        [*FACTORYBOT, "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", "4"],
        env=_env({**SLACK_ENV, "SLACK_API_URL": slack.api_url, **(env or {})}), cwd=cwd,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url, proc
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
    def healthy() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"factorybot exited: {proc.stdout.read()}")
        try:
            return requests.get(f"{url}/healthz", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    eventually(healthy, seconds=30, every=0.1, what=f"{url}/healthz answering")


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
    def listed() -> list[str]:
        return [line for line in _run("jobs", "list", cwd=tmp_path).stdout.splitlines()
                if "maintenance.forget_old_events" in line and "03:00" in line]

    eventually(listed, seconds=15, every=0.5, what="`jobs list` showing maintenance.forget_old_events at 03:00")


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


# -- bad configuration: one line naming the problem, exit 2 (README, "Configuration") --------


def test_an_unsupported_database_is_refused_with_the_supported_ones(tmp_path: Path) -> None:
    line = _one_line_failure(_run("config", env={"DATABASE_URL": "mysql://bot@db/factory"}, cwd=tmp_path))
    assert line.startswith("factorybot: DATABASE_URL: expected a SQLite or PostgreSQL URL")
    assert "postgres://" in line and "sqlite:///" in line


def test_a_heroku_style_postgres_url_reaches_the_database(tmp_path: Path) -> None:
    from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL

    if not ON_POSTGRES:
        pytest.skip("needs FACTORYBOT_TEST_DATABASE_URL=postgresql…")
    url = "postgres://" + TEST_DATABASE_URL.partition("://")[2]
    proc = _run("db", "current", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"head: {head_revision()}" in proc.stdout


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
@pytest.mark.parametrize(  # not the sandbox: it keeps its own database (tests/e2e/test_sandbox.py)
    "command", ["serve", "run", "scheduler", "jobs list", "db current", "db upgrade"]
)
def test_an_unreachable_database_is_the_same_line_for_every_command(
    tmp_path: Path, command: str, database: str
) -> None:
    if database == "postgresql":  # a closed port, and the Heroku spelling of the scheme
        url, reason = f"postgres://bot@127.0.0.1:{_free_port()}/factory", "Connection refused"
    else:
        url, reason = f"sqlite:///{tmp_path}/missing/factorybot.db", f"the folder {tmp_path}/missing does not exist"
    env = {**SLACK_ENV, "DATABASE_URL": url, "SLACK_API_URL": f"http://127.0.0.1:{_free_port()}/api/"}
    line = _one_line_failure(_run(*command.split(), env=env, cwd=tmp_path, timeout=60))
    assert line.startswith("factorybot: DATABASE_URL: cannot open the database at ")
    assert reason in line


def test_an_unreachable_slack_is_one_line_after_the_retries(tmp_path: Path) -> None:
    api = f"http://127.0.0.1:{_free_port()}/api/"
    env = {**SLACK_ENV, "SLACK_API_URL": api, "FACTORY_SCHEDULER": "off"}
    proc = _run("serve", "--port", str(_free_port()), env=env, cwd=tmp_path, timeout=60)
    line = _one_line_failure(proc)
    assert line == f"factorybot: SLACK_API_URL: Slack could not be reached at {api} (Connection refused)"


def test_a_slack_api_url_that_is_not_slack_is_one_line(tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as web:  # answers POST with an HTML 501
        Thread(target=web.serve_forever, daemon=True).start()
        api = f"http://127.0.0.1:{web.server_port}/api/"
        env = {**SLACK_ENV, "SLACK_API_URL": api, "FACTORY_SCHEDULER": "off"}
        proc = _run("serve", "--port", str(_free_port()), env=env, cwd=tmp_path, timeout=60)
        web.shutdown()
    assert _one_line_failure(proc) == f"factorybot: SLACK_API_URL: {api} does not answer as Slack's Web API"


@pytest.mark.parametrize("command", ["serve", "run", "sandbox"])
def test_a_port_in_use_is_one_line_naming_it(tmp_path: Path, command: str) -> None:
    with socket.socket() as taken, SlackStandIn() as slack:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        host = [] if command == "sandbox" else ["--host", "127.0.0.1"]
        env = {**SLACK_ENV, "SLACK_API_URL": slack.api_url, "FACTORY_SCHEDULER": "off"}
        proc = _run(command, *host, "--port", str(port), env=env, cwd=tmp_path, timeout=60)
    line = _one_line_failure(proc)
    assert f"port {port} is already in use" in line and "--port" in line


def test_the_scheduler_without_a_bot_token_says_what_is_missing(tmp_path: Path) -> None:
    line = _one_line_failure(_run("scheduler", cwd=tmp_path, timeout=30))
    assert line.startswith("factorybot: missing SLACK_BOT_TOKEN. ")
    assert "manifest.yml" in line


def test_serve_starts_without_bolt_or_apscheduler_chatter(tmp_path: Path) -> None:
    """Start-up logs what matters: no warning about a token Bolt will not use, no line per job."""
    with SlackStandIn() as slack, _serving(slack, cwd=tmp_path) as (_url, proc):
        pass
    out = proc.stdout.read()
    assert "will be unused" not in out
    assert "apscheduler" not in out
    assert "serving on http://127.0.0.1:" in out


def test_routine_job_runs_stay_below_info_and_failures_show() -> None:
    probe = (
        "import logging\n"
        "from bot.runtime.cli import configure_logging\n"
        "configure_logging()\n"
        "runs = logging.getLogger('apscheduler.executors.default')\n"
        "print(runs.isEnabledFor(logging.INFO), runs.isEnabledFor(logging.WARNING))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_env(None), timeout=60)
    assert proc.stdout.split() == ["False", "True"], proc.stderr


def test_sigterm_answers_the_acknowledged_work_before_exiting(tmp_path: Path, silent_port: SilentPort) -> None:
    """A deploy restarts the bot: what it acknowledged before SIGTERM is still answered."""
    env = {"MLFLOW_TRACKING_URI": silent_port.uri, "FACTORY_SCHEDULER": "off"}
    with SlackStandIn() as slack, _serving(slack, cwd=tmp_path, env=env) as (url, proc):
        signed = SlackRequestBuilder(signing_secret=SIGNING_SECRET, url=f"{url}/slack/events",
                                     response_url_base=slack.response_url(""))
        assert signed.slash_command("/model", "list", user_id=MEMBER).text == ""  # acknowledged, MLflow hangs
        proc.send_signal(signal.SIGTERM)
        eventually(lambda: not _answering(url), what="the server no longer answering after SIGTERM")
        assert proc.poll() is None  # still finishing the acknowledged /model list
        silent_port.release()
        assert proc.wait(timeout=20) == 0
        (answer,) = slack.calls("response_url")
        assert answer.params["text"] == "MLflow is not answering right now. Please try again in a few minutes."


def _answering(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=0.5).ok
    except requests.RequestException:
        return False
