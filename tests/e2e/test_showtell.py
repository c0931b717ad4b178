"""Show-and-tell end to end: /showtell, its modals and buttons through signed requests, the
reminders through the real scheduler under freezegun, and the Web API calls the bot made to
the Slack stand-in.

Commands are sent with the real clock (Slack's signature carries a timestamp the bot checks),
so sessions are made from today; the scheduler then runs in frozen time around them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlalchemy import inspect, select, text, update

import jobs
from bot.runtime.bootstrap import Bot
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from bot.showtell.model import when
from jobs import JobContext
from jobs.scheduler import JOBSTORE_TABLE, build_scheduler
from storage import showtell as repo
from storage.db import Database
from storage.models import ActivityEvent
from storage.repositories import job_runs
from tests.e2e.conftest import ADMIN, MEMBER, texts
from tests.e2e.guild_support import LEAD, OTHER, guild  # noqa: F401 - ``guild`` is a fixture
from tests.e2e.guild_support import command as guild_command
from tests.polling import eventually

PARIS, NEW_YORK = ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York")
CHANNEL = "C0MLOPS01"
WEEKLY = "every 1 weeks on thursday at 16:00 Europe/Paris slots=2 minutes=30"


@pytest.fixture(autouse=True)
def _no_job_context() -> Iterator[None]:
    jobs.set_context(None)
    yield
    jobs.set_context(None)


def showtell(signed: SlackRequestBuilder, slack: SlackStandIn, text_: str, *, user: str = MEMBER) -> dict[str, Any]:
    """``/showtell <text>``: every subcommand answers after the ack, through response_url."""
    before = len(slack.calls("response_url"))
    resp = signed.slash_command("/showtell", text_, user_id=user, channel_id="C0GENERAL")
    assert resp.status_code == 200
    if resp.text:
        return resp.json()
    return slack.wait_for("response_url", count=before + 1, timeout=20)[before].params


def sessions(database: Database) -> list[repo.ShowSession]:
    with database.unit_of_work() as uow:
        return list(uow.session.scalars(select(repo.ShowSession).order_by(repo.ShowSession.starts_at)))


def counts(database: Database) -> dict[str, int]:
    tables = ("showtell_series", "showtell_sessions", "showtell_talks", "showtell_waitlist", "showtell_kudos",
              "activity_events")
    with database.unit_of_work() as uow:
        return {t: uow.session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def kinds(database: Database) -> list[str]:
    with database.unit_of_work() as uow:
        return list(uow.session.scalars(select(ActivityEvent.kind).order_by(ActivityEvent.id)))


def posts(slack: SlackStandIn, *, to: str | None = None, containing: str = "") -> list[dict[str, Any]]:
    """Messages the bot posted (to a channel, or to anyone's DM with ``to="D"``)."""
    return [c.params for c in slack.calls("chat.postMessage") if c.ok
            and (to is None or c.params["channel"].startswith(to)) and containing in texts(c.params)]


def propose(signed: SlackRequestBuilder, slack: SlackStandIn, *, user: str, session_id: int, title: str,
            minutes: int = 10) -> dict[str, Any]:
    """Open the propose modal with ``/showtell propose mlops``, pick the session and submit."""
    before = len(slack.calls("views.open"))
    signed.slash_command("/showtell", "propose mlops", user_id=user)
    modal = slack.wait_for("views.open", count=before + 1, timeout=20)[-1].params["view"]
    assert modal["callback_id"] == "showtell_propose"
    assert str(session_id) in [o["value"] for o in modal["blocks"][1]["element"]["options"]]
    return submit_proposal(signed, user=user, session_id=session_id, title=title, minutes=minutes)


def submit_proposal(signed: SlackRequestBuilder, *, user: str, session_id: int, title: str,
                    minutes: int = 10) -> dict[str, Any]:
    values = {"session": {"session": {"type": "static_select", "selected_option": {"value": str(session_id)}}},
              "title": {"title": title}, "abstract": {"abstract": "What we learnt"},
              "minutes": {"minutes": {"type": "static_select", "selected_option": {"value": str(minutes)}}}}
    resp = signed.view_submission(callback_id="showtell_propose", user_id=user, values=values,
                                  private_metadata="mlops")
    return resp.json()


def run_reminders(bot: Bot, at: datetime) -> str:
    """Boot the scheduler ten minutes before ``at`` (it plans the every-10-minutes job), then again at
    ``at``: the persisted job is due and runs once, as after a restart.  Its result line."""
    if inspect(bot.db.engine).has_table(JOBSTORE_TABLE):
        with bot.db.engine.begin() as conn:  # plan from ``at``, not from an earlier run's next time
            conn.execute(text(f"DELETE FROM {JOBSTORE_TABLE}"))
    boot = at - timedelta(minutes=10, seconds=30)
    context = JobContext(services=bot.services, db=bot.db)
    with freeze_time(boot):
        scheduler = build_scheduler(context, zone=bot.settings.zone)
        scheduler.start()
        scheduler.shutdown()
    with freeze_time(at):
        scheduler = build_scheduler(context, zone=bot.settings.zone)
        scheduler.start()
        try:
            return eventually(lambda: _ran_since(bot.db, boot), seconds=15, what="the showtell.reminders job")
        finally:
            scheduler.shutdown()


def _ran_since(database: Database, boot: datetime) -> str | None:
    with database.unit_of_work() as uow:
        run = job_runs(uow.session).get("showtell.reminders")
    return run.detail if run and run.last_run_at > boot else None


def agenda_ts(database: Database, session_id: int) -> str:
    with database.unit_of_work() as uow:
        ts = uow.session.get(repo.ShowSession, session_id).agenda_ts
    assert ts
    return ts


# -- 1. series ------------------------------------------------------------------------------


def test_a_lead_schedules_sessions_that_keep_their_wall_clock_across_both_dst_changes(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    reply = texts(showtell(signed, slack, "schedule mlops every 8 weeks on sunday at 16:00 Europe/Paris "
                                          "slots=3 minutes=45", user=LEAD))
    assert "*MLOps* show-and-tell: `every 8 weeks on sunday at 16:00 Europe/Paris slots=3 minutes=45`" in reply
    rows = sessions(database)
    assert len(rows) == 8  # eight sessions 56 weeks long: both daylight-saving changes fall inside
    assert {r.starts_at.astimezone(PARIS).strftime("%a %H:%M") for r in rows} == {"Sun 16:00"}
    assert {r.starts_at.hour for r in rows} == {14, 15}  # 14:00 UTC in summer, 15:00 in winter
    # The lead reads them in their own zone (users.info): linus has none, so the bot's (UTC).
    assert when(rows[0].starts_at, ZoneInfo("UTC")) in reply
    assert "Coming show-and-tell of *MLOps*" in texts(showtell(signed, slack, "list mlops"))


BAD_INPUT = [
    (MEMBER, f"schedule mlops {WEEKLY}", "Only the leads of *MLOps* and admins can set its show-and-tell schedule."),
    (LEAD, f"schedule mlopz {WEEKLY}", "No guild called `mlopz`. Did you mean `mlops`?"),
    (MEMBER, "list mlopz", "No guild called `mlopz`. Did you mean `mlops`?"),
    (LEAD, "schedule mlops every 2 weeks on thursday at 4pm slots=3 minutes=45",
     "`at 4pm`: the time must be HH:MM on a 24-hour clock, such as `16:00`. For example: `every 2 weeks on "
     "thursday at 16:00 Europe/Paris slots=3 minutes=45`."),
    (LEAD, "schedule mlops every 2 weeks on thursday at 16:00 Mars/Olympus slots=3 minutes=45",
     "`Mars/Olympus` is not an IANA time zone"),
    (LEAD, "schedule mlops every 2 weeks on thursday at 16:00 slots=3", "Say how long it lasts: `minutes=45`."),
    (LEAD, "skip mlops 2020-01-02", "2020-01-02 is in the past: pick a coming session."),
    (LEAD, "skip mlops next-week", "`next-week` is not a date: use YYYY-MM-DD"),
    (MEMBER, "skip mlops 2099-01-01", "Only the leads of *MLOps* and admins can skip its sessions."),
    (OTHER, "cancel 1", "Talk #1 is <@U0MEMBER1>'s: only they, the leads of *MLOps* and admins can cancel it."),
    (MEMBER, "cancel 99", "There is no talk #99."),
    (MEMBER, "cancel my-talk", "`my-talk` is not a talk number"),
]


def test_bad_input_gets_a_specific_answer_and_changes_nothing(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    showtell(signed, slack, f"schedule mlops {WEEKLY}", user=LEAD)
    propose(signed, slack, user=MEMBER, session_id=sessions(database)[1].id, title="Feature store")
    before = counts(database)
    for user, command, problem in BAD_INPUT:
        reply = showtell(signed, slack, command, user=user)
        assert problem in texts(reply) and reply["response_type"] == "ephemeral", (command, texts(reply))
    assert counts(database) == before


def test_the_schedule_form_checks_each_field_and_a_change_tells_those_whose_session_went(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    showtell(signed, slack, f"schedule mlops {WEEKLY}", user=LEAD)
    gone, kept = sessions(database)[1:3]  # every other Thursday from the first session keeps the second
    propose(signed, slack, user=OTHER, session_id=gone.id, title="Drift alarms")
    propose(signed, slack, user=MEMBER, session_id=kept.id, title="Feature store")
    signed.slash_command("/showtell", "schedule mlops", user_id=LEAD)
    form = slack.wait_for("views.open", count=3, timeout=20)[-1].params["view"]
    assert form["callback_id"] == "showtell_schedule" and form["private_metadata"] == "mlops"
    inputs = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert (inputs["time"]["initial_time"], inputs["zone"]["initial_value"]) == ("16:00", "Europe/Paris")
    values = {"every": {"every": "2"},
              "weekday": {"weekday": {"type": "static_select", "selected_option": {"value": "thursday"}}},
              "time": {"time": {"type": "timepicker", "selected_time": "17:00"}},
              "zone": {"zone": "Europe/Paris"}, "slots": {"slots": "2"}, "minutes": {"minutes": "ninety"}}
    resp = signed.view_submission(callback_id="showtell_schedule", user_id=LEAD, values=values,
                                  private_metadata="mlops", view_id="V0SCHEDULE")
    assert resp.json() == {"response_action": "errors", "errors": {
        "minutes": "`minutes=ninety`: minutes must be a whole number from 5 to 240."}}
    assert len(sessions(database)) == 8
    values["minutes"] = {"minutes": "30"}
    resp = signed.view_submission(callback_id="showtell_schedule", user_id=LEAD, values=values,
                                  private_metadata="mlops", view_id="V0SCHEDULE")
    assert resp.json()["response_action"] == "update"
    [saved] = slack.wait_for("views.update", timeout=20)
    assert saved.params["view_id"] == "V0SCHEDULE" and "1 booked talk kept" in texts(saved.params["view"])
    [told] = eventually(lambda: posts(slack, to="D", containing="no longer takes place"))
    assert "*Drift alarms* is off" in texts(told) and "<@U0LEAD001> changed the schedule" in texts(told)
    moved = next(r for r in sessions(database) if r.id == kept.id)
    assert moved.starts_at.astimezone(PARIS).hour == 17
    listed = texts(showtell(signed, slack, "list mlops", user=ADMIN))  # ada reads Paris time
    assert "Feature store" in listed and "Drift alarms" not in listed and when(moved.starts_at, PARIS) in listed


# -- 2. booking and 3. looking and changing -----------------------------------------------------


def test_propose_books_then_waitlists_refuses_what_does_not_fit_and_lists_in_each_readers_zone(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    showtell(signed, slack, f"schedule mlops {WEEKLY}", user=LEAD)
    session = sessions(database)[1]
    booked = propose(signed, slack, user=MEMBER, session_id=session.id, title="Feature store", minutes=20)
    assert booked["response_action"] == "update" and "Booked: talk `#1`" in texts(booked["view"])
    assert when(session.starts_at, NEW_YORK) in texts(booked["view"])  # grace is in New York
    too_long = propose(signed, slack, user=ADMIN, session_id=session.id, title="Evals", minutes=15)
    assert too_long == {"response_action": "errors", "errors": {"minutes": (
        f"A 15-minute talk does not fit: 10 minutes are left at the session of {when(session.starts_at, PARIS)}. "
        "Pick a shorter length or another session.")}}
    propose(signed, slack, user=ADMIN, session_id=session.id, title="Evals", minutes=10)
    waiting = propose(signed, slack, user=OTHER, session_id=session.id, title="Drift alarms")
    assert "you are number 1 on its waitlist" in texts(waiting["view"])
    listed = texts(showtell(signed, slack, "list mlops"))
    assert when(session.starts_at, NEW_YORK) in listed and "Times are in your time zone (America/New_York)" in listed
    assert "`#1` *Feature store* — <@U0MEMBER1> · 20 min" in listed and "full · 1 on the waitlist" in listed
    assert when(sessions(database)[0].starts_at, PARIS) in texts(showtell(signed, slack, "list", user=ADMIN))
    started = sessions(database)[2].id
    with database.unit_of_work() as uow:  # a session that has started takes no more talks
        uow.session.execute(update(repo.ShowSession).where(repo.ShowSession.id == started)
                            .values(starts_at=datetime.now(PARIS) - timedelta(minutes=1)))
        uow.commit()
    past = submit_proposal(signed, user=OTHER, session_id=started, title="Late")
    assert past["response_action"] == "errors" and "is in the past" in past["errors"]["session"]


def test_a_freed_slot_goes_down_the_waitlist_by_dm_and_an_unanswered_offer_lapses_after_a_day(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, bot: Bot, guild: str
) -> None:
    showtell(signed, slack, f"schedule mlops {WEEKLY.replace('slots=2', 'slots=1')}", user=LEAD)
    session = sessions(database)[1]
    propose(signed, slack, user=MEMBER, session_id=session.id, title="Feature store")
    propose(signed, slack, user=OTHER, session_id=session.id, title="Drift alarms")
    propose(signed, slack, user=ADMIN, session_id=session.id, title="Evals")
    assert "offered to <@U0OTHER01>" in texts(showtell(signed, slack, "cancel #1"))
    [offer] = eventually(lambda: posts(slack, to="D", containing="A slot opened"))
    buttons = offer["blocks"][1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Accept", "Pass"]
    offered_at = datetime.now(PARIS)
    assert "Evals" not in texts(showtell(signed, slack, "list mlops"))

    detail = run_reminders(bot, offered_at + timedelta(hours=25))  # otto never answered
    assert "offers lapsed 1" in detail
    second = eventually(lambda: posts(slack, to="D", containing="A slot opened")[1:])[0]
    assert "*Evals*" in texts(second)
    accept = second["blocks"][1]["elements"][0]
    before = len(slack.calls("response_url"))
    signed.block_actions(action_id=buttons[0]["action_id"], value=buttons[0]["value"], user_id=OTHER,
                         channel_id=offer["channel"])
    assert "This offer has expired" in texts(slack.wait_for("response_url", count=before + 1)[-1].params)
    signed.block_actions(action_id=accept["action_id"], value=accept["value"], user_id=ADMIN,
                         channel_id=second["channel"])
    assert "Booked: talk `#" in texts(slack.wait_for("response_url", count=before + 2)[-1].params)
    assert "*Evals* — <@U0ADMIN01>" in texts(showtell(signed, slack, "list mlops"))
    signed.block_actions(action_id="showtell_offer_pass", value="999", user_id=ADMIN, channel_id=second["channel"])
    assert "This offer no longer exists" in texts(slack.wait_for("response_url", count=before + 4)[-1].params)


def test_skipping_a_session_tells_everyone_booked_on_it(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    showtell(signed, slack, f"schedule mlops {WEEKLY}", user=LEAD)
    session = sessions(database)[1]
    propose(signed, slack, user=MEMBER, session_id=session.id, title="Feature store")
    day = session.starts_at.astimezone(PARIS).date().isoformat()
    assert "1 person told" in texts(showtell(signed, slack, f"skip mlops {day}", user=ADMIN))
    [told] = eventually(lambda: posts(slack, to="D", containing="was skipped"))
    assert when(session.starts_at, NEW_YORK) in texts(told)  # in grace's own zone
    assert "no session on" in texts(showtell(signed, slack, f"skip mlops {day}", user=ADMIN))


# -- 4. reminders, 5. feedback, 6. time ------------------------------------------------------------


def test_reminders_agenda_kudos_and_links_each_once_in_their_window(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, bot: Bot, guild: str
) -> None:
    showtell(signed, slack, f"schedule mlops {WEEKLY}", user=LEAD)
    session = sessions(database)[1]
    start = session.starts_at
    talk = 1
    propose(signed, slack, user=MEMBER, session_id=session.id, title="Feature store")
    slack.reset()

    assert "nudges 1" in run_reminders(bot, start - timedelta(hours=47))
    [nudge] = posts(slack, to=CHANNEL, containing="1 slot free")
    assert "`/showtell propose mlops`" in texts(nudge) and f"<!date^{int(start.timestamp())}^" in texts(nudge)

    assert "presenters 1" in run_reminders(bot, start - timedelta(hours=23))
    [dm] = posts(slack, to="D", containing="Reminder: you present")
    assert f"on {when(start, NEW_YORK)} (your time)" in texts(dm)  # grace presents from New York
    assert "presenters 0" in run_reminders(bot, start - timedelta(hours=22))  # a second run sends nothing

    # Down through the morning: the agenda still goes out during the session, never a "tomorrow".
    assert "agendas 1" in run_reminders(bot, start + timedelta(minutes=10))
    [agenda] = posts(slack, to=CHANNEL, containing="Show-and-tell today")
    assert len(posts(slack, to="D", containing="Reminder: you present")) == 1
    thread = agenda_ts(database, session.id)
    kudos = agenda["blocks"][2]["accessory"]
    assert (kudos["action_id"], kudos["value"], kudos["text"]["text"]) == ("showtell_kudos", "1", ":clap: Kudos · 0")
    message = {"type": "message", "ts": thread, "text": agenda["text"], "user": "U0FACTBOT"}
    before = len(slack.calls("response_url"))
    for _ in range(2):  # a double click
        signed.block_actions(action_id="showtell_kudos", value=str(talk), user_id=ADMIN, channel_id=CHANNEL,
                             message=message)
    updates = slack.wait_for("chat.update", count=2, timeout=20)
    assert {u.params["blocks"][2]["accessory"]["text"]["text"] for u in updates} == {":clap: Kudos · 1"}
    assert "already given kudos" in texts(slack.wait_for("response_url", count=before + 1)[-1].params)

    assert "link requests 1" in run_reminders(bot, start + timedelta(minutes=45))
    [ask] = posts(slack, to="D", containing="Thanks for presenting")
    share = ask["blocks"][0]["accessory"]
    signed.block_actions(action_id=share["action_id"], value=share["value"], user_id=MEMBER, channel_id=ask["channel"])
    modal = slack.wait_for("views.open", timeout=20)[-1].params["view"]

    def share_link(url: str) -> dict[str, Any]:
        values = {"link": {"link": {"type": "url_text_input", "value": url}}}
        return signed.view_submission(callback_id="showtell_link", user_id=MEMBER, values=values,
                                      private_metadata=modal["private_metadata"]).json()

    assert share_link("my laptop")["errors"]["link"].startswith("A link starts with https://")
    share_link("https://ex.com/fs.pdf")
    [posted] = eventually(lambda: posts(slack, to=CHANNEL, containing="https://ex.com/fs.pdf"))
    assert posted["thread_ts"] == thread
    assert "Posted in the agenda's thread" in texts(slack.wait_for("views.update", timeout=20)[-1].params["view"])
    assert "link requests 0" in run_reminders(bot, start + timedelta(minutes=55))
    digest_kinds = ("showtell.session_held", "showtell.talk_held", "showtell.kudos", "showtell.link_shared")
    assert sorted(k for k in kinds(database) if k in digest_kinds) == sorted(digest_kinds)  # each once


# -- App Home and /guild info --------------------------------------------------------------


def test_app_home_and_guild_info_show_the_next_session(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str
) -> None:
    showtell(signed, slack, f"schedule mlops {WEEKLY}", user=LEAD)
    guild_command(signed, slack, "join mlops")
    session = sessions(database)[1]
    propose(signed, slack, user=MEMBER, session_id=session.id, title="Feature store")
    signed.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    home = texts(slack.wait_for("views.publish", timeout=20)[-1].params["view"])
    assert "*Show-and-tell*" in home and "`#1` _Feature store_" in home and when(session.starts_at, NEW_YORK) in home
    assert "Propose a talk" in home  # the next session of grace's guild, with a button
    info = texts(guild_command(signed, slack, "info mlops"))
    assert f"*Next show-and-tell* <!date^{int(sessions(database)[0].starts_at.timestamp())}^" in info
    assert "2 open slots" in info
