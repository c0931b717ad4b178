"""What the guild end-to-end tests share: a guild to work in, the way to send /guild and read its
answer (in the ack or through response_url), and looks into the database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, text

from bot.sandbox import SlackRequestBuilder, SlackStandIn
from bot.sandbox.slack_standin import BOT_USER_ID
from storage import guilds as repo
from storage.db import Database
from storage.guilds import Membership
from storage.models import ActivityEvent, Member
from tests.e2e.conftest import ADMIN, MEMBER, texts  # noqa: F401 - re-exported for the guild tests

LEAD = "U0LEAD001"
OTHER = "U0OTHER01"


def command(signed: SlackRequestBuilder, slack: SlackStandIn, text_: str, *, user: str = MEMBER) -> dict:
    """``/guild <text>`` and its ephemeral answer, whether it came in the ack or through response_url."""
    before = len([c for c in slack.calls("response_url") if c.ok])
    resp = signed.slash_command("/guild", text_, user_id=user)
    assert resp.status_code == 200
    if resp.text:
        body = resp.json()
        assert body["response_type"] == "ephemeral"
        return body
    reply = slack.wait_for("response_url", count=before + 1)[-1].params
    assert reply.get("response_type") == "ephemeral"
    return reply


def zone_cached(database: Database, user: str) -> Callable[[], bool]:
    """True once the member's time zone from users.info is stored: the last thing many listeners do,
    so a test that waits for it leaves no work running into the next test."""

    def check() -> bool:
        with database.unit_of_work() as uow:
            member = uow.session.get(Member, user)
            return member is not None and member.tz_refreshed_at is not None

    return check


def open_memberships(database: Database, slug: str) -> list[tuple[str, str]]:
    with database.unit_of_work() as uow:
        rows = uow.session.execute(
            select(Membership.member_id, Membership.source)
            .join(repo.Guild, repo.Guild.id == Membership.guild_id)
            .where(repo.Guild.slug == slug, Membership.left_at.is_(None))
            .order_by(Membership.id)
        )
        return [tuple(r) for r in rows]


def row_counts(database: Database) -> dict[str, int]:
    with database.unit_of_work() as uow:
        return {t: uow.session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("guilds", "guild_leads", "memberships", "activity_events", "profile_tags")}


def activity(database: Database) -> list[tuple[str, str | None, str | None]]:
    with database.unit_of_work() as uow:
        return [(e.kind, e.guild, e.subject)
                for e in uow.session.scalars(select(ActivityEvent).order_by(ActivityEvent.id))]


@pytest.fixture
def guild(signed: SlackRequestBuilder, slack: SlackStandIn) -> str:
    """``mlops`` on public #mlops where only the bot is, created by the admin, led by LEAD."""
    slack.add_user(LEAD, name="linus")
    slack.add_user(OTHER, name="otto")
    slack.add_channel("C0MLOPS01", name="mlops", members=[BOT_USER_ID])
    reply = command(signed, slack, 'create mlops <#C0MLOPS01|mlops> "MLOps" Ship models &amp; keep them healthy',
                     user=ADMIN)
    assert "Created *MLOps*" in reply["text"]
    command(signed, slack, "lead add mlops <@U0LEAD001|linus>", user=ADMIN)
    slack.reset()
    return "mlops"
