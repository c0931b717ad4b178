"""``factorybot run`` with ``SLACK_APP_TOKEN``: Socket Mode over a real WebSocket on loopback."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.sandbox import SlackStandIn
from tests.support.socket_mode import SocketModeStandIn
from tests.e2e.conftest import BOT_TOKEN, MEMBER
from tests.e2e.test_cli import FACTORYBOT, _env, stop


def test_run_connects_in_socket_mode_and_answers_commands_and_events(tmp_path: Path) -> None:
    with SlackStandIn() as slack, SocketModeStandIn(slack) as socket_mode:
        env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-A0FACTORY-1-secret", "SLACK_API_URL": slack.api_url}
        proc = subprocess.Popen(
            [*FACTORYBOT, "run"], env=_env(env), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            assert socket_mode.connected.wait(30), "the bot never opened the WebSocket"
            (opened,) = slack.calls("apps.connections.open")
            assert opened.token.startswith("xapp-")
            envelope = socket_mode.send(
                "slash_commands",
                {"command": "/factory", "text": "help", "user_id": MEMBER, "channel_id": "C0GENERAL",
                 "team_id": "T0FACTORY", "trigger_id": "1.2.3", "response_url": slack.response_url("sm")},
            )
            ack = socket_mode.wait_ack(envelope)
            assert ack["payload"]["response_type"] == "ephemeral"
            assert "factorybot help" in ack["payload"]["text"]
            event = socket_mode.send(
                "events_api",
                {"type": "event_callback", "team_id": "T0FACTORY", "api_app_id": "A0FACTORY", "event_id": "Ev0SM",
                 "event_time": 1, "event": {"type": "app_home_opened", "user": MEMBER, "tab": "home"}},
            )
            socket_mode.wait_ack(event)
            (published,) = slack.wait_for("views.publish", timeout=10)
            assert published.params["user_id"] == MEMBER
        finally:
            stop(proc)
