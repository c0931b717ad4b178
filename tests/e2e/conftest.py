"""End-to-end fixtures: the real Bolt app served over HTTP by waitress, a Slack Web API
stand-in on loopback, and a builder that signs requests exactly as Slack does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import jobs

from bot.runtime.bootstrap import Bot, bootstrap
from bot.runtime.server import RunningServer, start_in_thread
from bot.runtime.settings import Settings, load_settings
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from jobs import JobContext
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
def mlflow_bot_settings(bot_settings: Settings, mlflow_server) -> Settings:  # noqa: ANN001
    """``bot_settings`` on the session's real MLflow server; a module that needs MLflow says
    ``def bot_settings(mlflow_bot_settings): return mlflow_bot_settings``."""
    return bot_settings.model_copy(update={"mlflow_tracking_uri": mlflow_server.uri})


@pytest.fixture
def job_context(bot: Bot, database: Database) -> Iterator[JobContext]:
    """The scheduler's job context, installed for the test: the same services the listeners call."""
    context = JobContext(services=bot.services, db=database)
    jobs.set_context(context)
    yield context
    jobs.set_context(None)


@pytest.fixture
def bot_parts() -> dict[str, Any]:
    """The parts a test module replaces, passed to ``bootstrap`` by name (override this fixture)."""
    return {}


@pytest.fixture
def bot(bot_settings: Settings, database: Database, bot_parts: dict[str, Any]) -> Iterator[Bot]:
    """The whole bot, built by the composition root as in production."""
    built = bootstrap(bot_settings, db=database, **bot_parts)
    yield built
    built.drain()  # nothing may still run when the next test empties the database
    built.close()


@pytest.fixture
def bot_server(bot: Bot) -> Iterator[RunningServer]:
    """The bot served over HTTP by waitress on loopback."""
    server = start_in_thread(bot.wsgi())
    yield server
    server.stop()


@pytest.fixture
def signed(bot_server: RunningServer, slack: SlackStandIn) -> SlackRequestBuilder:
    return SlackRequestBuilder(
        signing_secret=SIGNING_SECRET,
        url=f"{bot_server.url}/slack/events",
        team_id="T0FACTORY",
        response_url_base=slack.response_url(""),
    )
