"""The offline sandbox: the real app with the stand-in playing Slack."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from bot.runtime.bootstrap import Bot
from bot.sandbox.console import answer, render_text
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from tests.e2e.test_cli import FACTORYBOT, _env, _free_port, _wait_healthy


def test_typed_lines_are_sent_as_slack_would_and_rendered_as_text(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn
) -> None:
    assert "YOUR AI FACTORY IN SLACK" in answer("/factory help", signed, slack, drain=bot.drain)
    assert "`/model dance` is not something I know." in answer("/model dance", signed, slack, drain=bot.drain)
    home = answer("home", signed, slack, drain=bot.drain)
    assert "[views.publish]" in home and "WELCOME TO THE AI FACTORY" in home
    assert "views.publish ok=True" in answer("calls", signed, slack, drain=bot.drain)
    assert "Not a slash command" in answer("hello", signed, slack, drain=bot.drain)


def test_render_text_shows_buttons_and_fields() -> None:
    payload = {
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}, "fields": [{"type": "mrkdwn", "text": "f"}]},
            {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Join"}}]},
        ]
    }
    assert render_text(payload) == "hi\nf\n[Join]"


def test_sandbox_command_serves_without_any_slack_variable(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [*FACTORYBOT, "sandbox", "--port", str(port)], env=_env(None), cwd=tmp_path,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    assert "factorybot sandbox" in out
    assert (tmp_path / "factorybot.db").exists()


def test_answers_sent_after_the_ack_are_waited_for(
    bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn
) -> None:
    shown = answer("/mentor offer python", signed, slack, drain=bot.drain)  # offer answers after the ack (it asks users.info)
    assert "python" in shown and "[users.info]" in shown
    assert "[response_url]" not in shown
