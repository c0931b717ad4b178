"""Helpers for the hostile-input tests: send anything signed, collect what the person was told,
and check that nothing failed inside the bot."""

from __future__ import annotations

import json
from datetime import datetime, timezone
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
import requests

from bot.runtime.bootstrap import Bot
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from storage import guilds as guild_repo
from storage.db import Database
from storage.members import ensure_member
from tests.e2e.conftest import ADMIN, texts

FAILURE_WORDS = ("Something went wrong", "could not finish this", "Traceback")


@dataclass
class Answer:
    """The HTTP answer to one request and whatever reached the person after it."""

    status: int
    seconds: float
    messages: list[dict[str, Any]]  # the ack's body, response_url posts, DMs
    modals: list[dict[str, Any]]  # views.open / views.update / views.push

    @property
    def text(self) -> str:
        return "\n".join(texts(m) for m in self.messages + self.modals)


def send(bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, request: Any) -> Answer:
    """``request()`` sends one signed request; the answer once the bot is quiet again."""
    before = len(slack.calls())
    resp: requests.Response = request()
    bot.drain(timeout=60)  # MLflow on a loaded CI machine can take seconds
    messages = [resp.json()] if resp.text.startswith("{") and resp.status_code == 200 else []
    modals = []
    for call in slack.calls()[before:]:
        if call.method in ("response_url", "chat.postMessage", "chat.postEphemeral"):
            messages.append(call.params)
        elif call.method.startswith("views."):
            modals.append(call.params.get("view") or {})
    return Answer(resp.status_code, resp.elapsed.total_seconds(), messages, modals)


def command(bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, name: str, text: str,
            *, user_id: str) -> Answer:
    return send(bot, signed, slack, lambda: signed.slash_command(name, text, user_id=user_id))


def payload(bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, body: dict[str, Any]) -> Answer:
    """An interactive payload exactly as given, signed."""
    form = urlencode({"payload": json.dumps(body)}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return send(bot, signed, slack, lambda: signed.send(form, headers))


def payload_of(built: tuple[bytes, dict[str, str]]) -> dict[str, Any]:
    """The payload a ``SlackRequestBuilder.build_*`` made, to be bent out of shape."""
    return json.loads(parse_qs(built[0].decode())["payload"][0])


def event(bot: Bot, signed: SlackRequestBuilder, slack: SlackStandIn, envelope: dict[str, Any]) -> Answer:
    body = json.dumps(envelope).encode()
    return send(bot, signed, slack, lambda: signed.send(body, {"Content-Type": "application/json"}))


def failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors logged by the bot (with or without a traceback) since the last ``caplog.clear()``."""
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


def assert_civil(answer: Answer, caplog: pytest.LogCaptureFixture) -> None:
    """No 5xx, nothing logged as an error, no generic apology."""
    assert answer.status < 500, answer
    assert not failures(caplog), failures(caplog)
    assert not any(word in answer.text for word in FAILURE_WORDS), answer.text
    for message in answer.messages + answer.modals:
        for block in message.get("blocks") or []:
            assert len((block.get("text") or {}).get("text", "")) <= 3000


@pytest.fixture
def mlops(database: Database) -> str:
    """A guild whose description tries to ping everyone."""
    with database.unit_of_work() as uow:
        ensure_member(uow.session, ADMIN)
        guild_repo.add_guild(uow.session, slug="mlops", name="MLOps <!here>", description="<!channel> & <@U0BOSS>",
                             channel_id="C0MLOPS01", created_by=ADMIN, at=datetime.now(timezone.utc))
        uow.commit()
    return "mlops"
