"""Mentoring end to end: /mentor through signed requests, rounds and check-ins through the real
scheduler under freezegun, and the Web API calls the bot made to the Slack stand-in.

Commands are sent with the real clock (Slack's signature carries a timestamp the bot checks);
only the scheduler runs in frozen time, as in ``tests/integration/test_scheduler.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from freezegun import freeze_time

import jobs
from bot.runtime.bootstrap import Bot
from jobs import JobContext
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from jobs.scheduler import build_scheduler
from storage import mentoring as repo
from storage.db import Database
from storage.models import ActivityEvent, JobRun
from storage.repositories import job_runs
from tests.polling import eventually
from tests.e2e.conftest import ADMIN, MEMBER, texts

MENTEE2 = "U0MENTEE2"


@pytest.fixture(autouse=True)
def _no_job_context() -> Iterator[None]:
    jobs.set_context(None)
    yield
    jobs.set_context(None)


def mentor(signed: SlackRequestBuilder, slack: SlackStandIn, text: str, *, user: str = MEMBER) -> dict[str, Any]:
    """``/mentor <text>``: the answer in the ack, or (slow routes) through response_url."""
    before = len(slack.calls("response_url"))
    resp = signed.slash_command("/mentor", text, user_id=user, channel_id="C0GENERAL")
    assert resp.status_code == 200
    if resp.text:
        return resp.json()
    return slack.wait_for("response_url", count=before + 1, timeout=20)[before].params


def run_job(bot: Bot, job_id: str, *, boot: datetime, fire: datetime) -> JobRun:
    """Boot the scheduler at ``boot`` (it plans the job's next run), then again at ``fire`` just past
    that run: the persisted job is due and runs once, as after a restart."""
    database = bot.db
    with freeze_time(boot):
        scheduler = build_scheduler(JobContext(services=bot.services, db=database), zone=bot.settings.zone)
        scheduler.start()
        scheduler.shutdown()
    with freeze_time(fire):
        scheduler = build_scheduler(JobContext(services=bot.services, db=database), zone=bot.settings.zone)
        scheduler.start()
        try:
            def done() -> JobRun | None:
                with database.unit_of_work() as uow:
                    run = job_runs(uow.session).get(job_id)
                return run if run and run.last_run_at >= fire.replace(second=0) else None

            run = eventually(done, seconds=15.0)
        finally:
            scheduler.shutdown()
    return run


def activity_kinds(database: Database) -> list[str]:
    with database.unit_of_work() as uow:
        return [e.kind for e in uow.session.query(ActivityEvent).order_by(ActivityEvent.id)]


def test_commands_enrol_pause_avoid_and_report_status(signed: SlackRequestBuilder, slack: SlackStandIn) -> None:
    reply = mentor(signed, slack, 'offer python "LLM evals" capacity 2', user=ADMIN)
    assert "You are a mentor (up to 2 mentees a round)" in texts(reply) and "`llm-evaluation`" in texts(reply)
    assert [c.params["user"] for c in slack.calls("users.info")] == [ADMIN]  # its time zone, for matching
    assert "You are a mentee" in texts(mentor(signed, slack, "seek python"))
    status = texts(mentor(signed, slack, "status"))
    assert "*Role:* mentee" in status and "`python`" in status and "*Current match:* none" in status
    assert "Paused until 2030-01-15" in texts(mentor(signed, slack, "pause until 2030-01-15"))
    assert "YYYY-MM-DD" in texts(mentor(signed, slack, "pause until soon"))
    assert "Welcome back" in texts(mentor(signed, slack, "resume"))
    assert "Nobody else is told" in texts(mentor(signed, slack, f"avoid <@{ADMIN}|ada>"))
    assert "autocomplete" in texts(mentor(signed, slack, "avoid ada"))
    assert "Only factorybot admins" in texts(mentor(signed, slack, "stats"))
    assert "left mentoring" in texts(mentor(signed, slack, "stop"))
    assert "*Status:* stopped" in texts(mentor(signed, slack, "status"))


def test_round_now_is_for_admins_and_runs_once_a_day(signed: SlackRequestBuilder, slack: SlackStandIn) -> None:
    assert "Only factorybot admins" in texts(mentor(signed, slack, "round now"))
    mentor(signed, slack, "offer python", user=ADMIN)
    mentor(signed, slack, "seek python")
    first = texts(mentor(signed, slack, "round now", user=ADMIN))
    assert "1 introduction sent, 0 people told they are unmatched." in first
    opened = slack.calls("conversations.open")
    assert [c.params["users"] for c in opened] == [f"{ADMIN},{MEMBER}"]
    again = texts(mentor(signed, slack, "round now", user=ADMIN))
    assert "already had its round on" in again and "one round a day" in again
    assert len(slack.calls("conversations.open")) == 1
    assert "No guild called `nope`" in texts(mentor(signed, slack, "round now nope", user=ADMIN))
    stats = texts(mentor(signed, slack, "stats", user=ADMIN))
    assert "*org* — 1 round, 1 match, 2 people matched, 0 unmatched last round" in stats


def test_someone_who_offers_and_seeks_is_told_once_and_a_round_that_matched_nobody_can_be_run_again(
    signed: SlackRequestBuilder, slack: SlackStandIn
) -> None:
    mentor(signed, slack, "offer python")
    mentor(signed, slack, "seek rag")
    empty = texts(mentor(signed, slack, "round now", user=ADMIN))
    assert "0 introductions sent, 1 person told they are unmatched." in empty
    told = [c for c in slack.calls("chat.postMessage") if c.ok and c.params["channel"] == MEMBER]
    assert len(told) == 1 and "No match for you this round" in texts(told[0].params)

    mentor(signed, slack, "offer rag", user=ADMIN)
    rerun = texts(mentor(signed, slack, "round now", user=ADMIN))
    assert "The earlier round today matched nobody, so this one took its place" in rerun
    assert "1 introduction sent, 0 people told they are unmatched." in rerun
    assert [c.params["users"] for c in slack.calls("conversations.open")] == [f"{ADMIN},{MEMBER}"]
    assert "one round a day" in texts(mentor(signed, slack, "round now", user=ADMIN))
    stats = texts(mentor(signed, slack, "stats", user=ADMIN))
    assert "*org* — 1 round, 1 match, 2 people matched, 0 unmatched last round" in stats


def test_a_scheduled_round_introduces_tells_the_unmatched_and_checks_in(
    signed: SlackRequestBuilder, slack: SlackStandIn, bot: Bot, database: Database
) -> None:
    slack.add_user(MENTEE2, name="linus", tz="Europe/Helsinki")
    mentor(signed, slack, "offer llm-evaluation", user=ADMIN)
    mentor(signed, slack, "seek llm-evaluation")
    mentor(signed, slack, "seek llm-evaluation", user=MENTEE2)
    mentor(signed, slack, f"avoid <@{ADMIN}>", user=MENTEE2)

    run = run_job(bot, "mentoring.rounds",
                  boot=datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc),
                  fire=datetime(2026, 11, 30, 10, 0, 30, tzinfo=timezone.utc))
    assert (run.outcome, run.detail) == ("ok", "ran 1 round (org); 1 introduction sent; 1 person told they are unmatched")

    [opened] = slack.calls("conversations.open")
    assert opened.params["users"] == f"{ADMIN},{MEMBER}"
    posts = [c for c in slack.calls("chat.postMessage") if c.ok]
    intro = next(c.params for c in posts if "Meet your match" in c.params.get("text", ""))
    group = intro["channel"]
    assert group.startswith("G")
    words = texts(intro)
    assert "the mentor teaches what you want to learn: llm-evaluation" in words
    assert "working hours overlap" in words and "Suggested first agenda" in words
    unmatched = next(c.params for c in posts if c.params["channel"] == MENTEE2)
    assert "No match for you this round" in texts(unmatched)
    assert "next round: <!date^1797242400^{date_short_pretty} at {time}|2026-12-14 10:00 UTC>." in texts(unmatched)

    # A week later the group is asked "Did you meet?", once.
    run = run_job(bot, "mentoring.checkins",
                  boot=datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc),
                  fire=datetime(2026, 12, 7, 10, 15, 30, tzinfo=timezone.utc))
    assert run.detail == "1 check-in asked"
    asks = [c.params for c in slack.calls("chat.postMessage") if c.ok and "Did you meet?" in c.params.get("text", "")]
    assert len(asks) == 1 and asks[0]["channel"] == group
    buttons = asks[0]["blocks"][1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Yes, we met", "Not yet", "We can't"]

    # Answers are recorded; a repeated click changes nothing; outsiders cannot answer.
    before = len(slack.calls("response_url"))
    for _ in range(2):
        signed.block_actions(action_id=buttons[0]["action_id"], value=buttons[0]["value"], user_id=MEMBER,
                             channel_id=group)
    signed.block_actions(action_id=buttons[1]["action_id"], value=buttons[1]["value"], user_id=MENTEE2,
                         channel_id=group)
    replies = [texts(c.params) for c in slack.wait_for("response_url", count=before + 3, timeout=20)[before:]]
    assert any("answered *Yes, we met*" in r for r in replies)
    assert any("already" in r for r in replies)
    assert any("Only the people in this introduction" in r for r in replies)
    with database.unit_of_work() as uow:
        answers = repo.answers_of(uow.session, [int(buttons[0]["value"])])
    assert answers == {int(buttons[0]["value"]): {MEMBER: "yes"}}
    kinds = activity_kinds(database)
    assert kinds.count("mentoring.matched") == 1 and kinds.count("mentoring.round") == 1
    assert kinds.count("mentoring.checkin_answered") == 1
    assert "*Current match* (2026-11-30): <@U0ADMIN01>" in texts(mentor(signed, slack, "status"))
