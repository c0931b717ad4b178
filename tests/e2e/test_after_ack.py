"""Acknowledgements never wait behind slow work: MLflow hangs on a port that accepts
connections and never answers, while people keep typing commands."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from bot.runtime.bootstrap import Bot
from bot.runtime.server import RunningServer
from bot.runtime.settings import Settings
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from handlers.after_ack import BUSY_TEXT, AfterAckPool
from tests.e2e.conftest import MEMBER, texts
from tests.support.ports import SilentPort

MLFLOW_DOWN = "MLflow is not answering right now. Please try again in a few minutes."


@pytest.fixture
def bot_settings(bot_settings: Settings, silent_port: SilentPort) -> Settings:
    return bot_settings.model_copy(update={"mlflow_tracking_uri": silent_port.uri})


def _timed(send: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    started = time.monotonic()
    resp = send()
    return resp, time.monotonic() - started


def _model_list(signed: SlackRequestBuilder) -> tuple[requests.Response, float]:
    return _timed(lambda: signed.slash_command("/model", "list", user_id=MEMBER))


def _answers(slack: SlackStandIn) -> list[str]:
    return [c.params["text"] for c in slack.calls("response_url")]


def test_help_is_answered_at_once_while_sixteen_model_lists_hang(
    signed: SlackRequestBuilder, slack: SlackStandIn, silent_port: SilentPort, bot: Bot
) -> None:
    for _ in range(16):
        resp, took = _model_list(signed)
        assert resp.status_code == 200 and resp.text == "" and took < 1.5  # acknowledged, answered later
    assert bot.after_ack.in_flight == 16  # all of them waiting on MLflow

    resp, took = _timed(lambda: signed.slash_command("/factory", "help", user_id=MEMBER))
    assert resp.status_code == 200 and "/model help" in texts(resp.json())
    assert took < 1.5, f"/factory help took {took:.2f} s"

    silent_port.release()
    bot.drain()
    assert _answers(slack) == [MLFLOW_DOWN] * 16


class TestWithASmallPool:
    @pytest.fixture
    def bot_parts(self) -> dict[str, Any]:
        return {"after_ack": AfterAckPool(workers=2, queue=2)}

    def test_a_full_pool_says_busy_at_once_reports_it_and_loses_nothing(
        self, signed: SlackRequestBuilder, slack: SlackStandIn, silent_port: SilentPort, bot: Bot,
        bot_server: RunningServer,
    ) -> None:
        for _ in range(4):  # two running, two queued
            assert _model_list(signed)[0].text == ""
        busy, took = _model_list(signed)
        assert took < 1.5 and busy.json()["response_type"] == "ephemeral"
        assert BUSY_TEXT in texts(busy.json())
        health = requests.get(f"{bot_server.url}/healthz", timeout=5).json()
        assert health["after_ack"] == {"in_flight": 4, "capacity": 4, "saturated": True}

        silent_port.release()
        bot.drain()
        assert _answers(slack) == [MLFLOW_DOWN] * 4
        health = requests.get(f"{bot_server.url}/healthz", timeout=5).json()
        assert health["after_ack"] == {"in_flight": 0, "capacity": 4, "saturated": False}
        assert _model_list(signed)[0].text == ""  # accepted again
