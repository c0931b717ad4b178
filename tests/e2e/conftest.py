"""End-to-end fixtures: the real Bolt app served over HTTP by waitress, a Slack Web API
stand-in on loopback, and a builder that signs requests exactly as Slack does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.runtime.bootstrap import build_wsgi
from bot.runtime.server import FactoryWSGI, RunningServer, start_in_thread
from bot.runtime.settings import Settings, load_settings
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from storage.db import Database

SIGNING_SECRET = "e2e-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-e2e-0000-test-token"
ADMIN = "U0ADMIN01"
MEMBER = "U0MEMBER1"


def texts(payload: Any) -> str:
    """Every piece of text a person would read in a message or view."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                found.append(value) if key == "text" and isinstance(value, str) else walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload)
    return "\n".join(found)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_user(ADMIN, name="ada", tz="Europe/Paris")
        standin.add_user(MEMBER, name="grace", tz="America/New_York")
        yield standin


@pytest.fixture
def bot_settings(database_url: str, slack: SlackStandIn) -> Settings:
    return load_settings(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        DATABASE_URL=database_url,
        FACTORY_ADMINS=ADMIN,
        FACTORY_SCHEDULER="off",
    )


@pytest.fixture
def bot_server(bot_settings: Settings, database: Database) -> Iterator[RunningServer]:
    wsgi = build_wsgi(bot_settings, db=database)
    server = start_in_thread(wsgi)
    yield server
    server.stop()
    drain(wsgi)


def drain(wsgi: FactoryWSGI) -> None:
    """Let work that runs after the ack finish before the next test empties the database."""
    import handlers.approvals.listeners

    wsgi.app.listener_runner.listener_executor.shutdown(wait=True)
    handlers.approvals.listeners.wait_for_background()


@pytest.fixture
def signed(bot_server: RunningServer, slack: SlackStandIn) -> SlackRequestBuilder:
    return SlackRequestBuilder(
        signing_secret=SIGNING_SECRET,
        url=f"{bot_server.url}/slack/events",
        team_id="T0FACTORY",
        response_url_base=slack.response_url(""),
    )
