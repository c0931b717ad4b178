"""The offline sandbox: the real app in a demo workspace, with the stand-in playing Slack."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.runtime.bootstrap import Bot
from bot.runtime.settings import load_settings
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from bot.sandbox.console import sandbox_session
from bot.sandbox.script import replay, tour_script
from bot.sandbox.session import Session
from tests.e2e.conftest import ADMIN, MEMBER
from tests.e2e.test_cli import FACTORYBOT, _env


@pytest.fixture
def session(bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn) -> Session:
    slack.add_channel("C0GENERAL", name="general", members=[ADMIN, MEMBER])
    slack.add_channel("C0MLOPS", name="mlops")
    return Session(signed, slack, drain=bot.drain, me=ADMIN, where="C0GENERAL",
                   people={"ada": ADMIN, "grace": MEMBER}, channels={"general": "C0GENERAL", "mlops": "C0MLOPS"})


@pytest.fixture(scope="module")
def toured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, Path]]:
    """The shipped tour, replayed once in a fresh state folder (the other tests resume it)."""
    state, out = tmp_path_factory.mktemp("sandbox"), io.StringIO()
    with sandbox_session(load_settings(), port=0, state=state, fresh=True, out=out) as session:
        status = replay(session, tour_script().read_text(encoding="utf-8").splitlines(), out=out)
    yield status, out.getvalue(), state


def test_the_shipped_tour_walks_the_whole_mission(toured: tuple[int, str, Path]) -> None:
    status, out, state = toured
    assert status == 0, out
    for seen in ("You joined MLOps", "Saved.", "you are matched", "Booked: talk", "asks for your approval",
                 "`production` moved to version 3 (was version 2)", "`production` → v3"):
        assert seen in out
    assert {"factorybot.db", "mlflow.db", "policy.yml", ".seeded"} <= {p.name for p in state.iterdir()}


def test_a_script_stops_at_the_first_failed_expectation_and_a_second_start_resumes(
    toured: tuple[int, str, Path], tmp_path: Path
) -> None:
    script = tmp_path / "check.txt"
    script.write_text('/guild list\nexpect "MLOps"\n/guild list\nexpect "no such guild"\nwho\n')
    proc = _sandbox("--state", str(toured[2]), "--script", str(script), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "(resumed)" in proc.stdout and "Seeding" not in proc.stdout
    assert 'line 4: expected "no such guild"' in proc.stdout
    assert "ada> who" not in proc.stdout  # nothing after the failure runs


def test_piped_lines_are_commands_and_the_end_of_input_ends_the_session(
    toured: tuple[int, str, Path], tmp_path: Path
) -> None:
    lines = "who\n/as @maria\nclick 7\n/model frobnicate\nhello\n"
    production = {"DATABASE_URL": f"sqlite:///{tmp_path}/missing/production.db", "SLACK_API_URL": "http://10.9.9.9/api/"}
    proc = _sandbox("--state", str(toured[2]), cwd=tmp_path, stdin=lines, env=production)  # neither is touched
    assert proc.returncode == 0, proc.stderr
    assert "maria> click 7\nThere is no button 7" in proc.stdout
    assert "`/model frobnicate` is not something I know." in proc.stdout
    assert "Not a command: 'hello'" in proc.stdout
    assert "INFO" not in proc.stdout + proc.stderr  # MLflow's and the bot's routine lines stay out


def test_a_broken_policy_file_stops_the_start_with_its_line(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text("version: 1\ntiers: [\n")
    proc = _sandbox("--state", str(tmp_path / "state"), cwd=tmp_path, env={"FACTORY_POLICY_FILE": str(policy)})
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"factorybot: FACTORY_POLICY_FILE: {policy}:3: not valid YAML")
    assert "Traceback" not in proc.stderr


def test_a_state_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    proc = _sandbox("--state", str(tmp_path / "a-file" / "state"), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == f"factorybot: --state: cannot use {tmp_path}/a-file/state as the sandbox's folder (Not a directory)\n"


def test_mentions_are_sent_as_slack_sends_them(session: Session, slack: SlackStandIn) -> None:
    assert session.slack_text("pair @grace with @nobody in #mlops") == "pair <@U0MEMBER1> with @nobody in <#C0MLOPS|mlops>"
    shown = session.handle("/mentor avoid @grace")
    assert "@grace" in shown and "<@" not in shown


def test_a_modal_is_filled_field_by_field_with_refusals_and_the_bots_errors(session: Session) -> None:
    opened = session.handle("/guild profile")
    assert "┌ modal: Your skills" in opened and "? Skills I can teach" in opened
    session.handle("python")
    errors = session.handle("x" * 80)  # the bot refuses a tag this long: the modal stays open
    assert "⚠" in errors and session.modal is not None
    assert session.handle("mlops").startswith("┌ modal: Your skills\n✅ Saved.")
    assert session.modal is None


def test_an_empty_required_field_is_asked_again(session: Session) -> None:
    opened = session.handle("/approval request model_deployment")
    assert "? What do you need?  1) Model deployment" in opened and "(Enter keeps: Model deployment)" in opened
    assert session.handle("") == "? Registered model"  # Enter keeps the type chosen
    refused = session.handle("")
    assert refused == "“Registered model” is required: type an answer, or `cancel`.\n? Registered model"
    assert session.handle("cancel") == "Modal closed without submitting."
    assert session.modal is None


def test_a_changed_picker_redraws_the_modal_as_slack_would(session: Session) -> None:
    session.handle("/approval request model_deployment")
    redrawn = session.handle("2")  # Data access: the form's fields change
    assert "┌ modal: New request" in redrawn and "(Enter keeps: Data access)" in redrawn
    assert session.handle("") == "? Dataset"


def test_app_home_is_shown_as_it_is_published_and_its_buttons_pressed(session: Session) -> None:
    home = session.handle("home")
    assert home.startswith("[App Home]\nWELCOME TO THE AI FACTORY")
    number = next(i for i, c in enumerate(session.renderer.controls, 1) if c.label == "Edit my skills")
    assert "┌ modal: Your skills" in session.handle(f"click {number}")


def test_buttons_are_numbered_and_pressed_as_slack_sends_them(session: Session, slack: SlackStandIn) -> None:
    assert "MLOps" in session.handle('/guild create mlops #mlops "MLOps" Shipping models')
    listed = session.handle("/as @grace") and session.handle("/guild list")
    assert "[1 Join]" in listed
    assert "There is no button 2" in session.handle("click 2")
    session.handle("click 1")
    sent = slack.calls("conversations.invite")
    assert sent and sent[-1].params["users"] == MEMBER


def _sandbox(*args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*FACTORYBOT, "sandbox", "--port", "0", *args], env=_env(env), cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=60)
