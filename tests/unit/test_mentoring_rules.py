"""Mentoring rules without Slack or a database: the cadence, parsing /mentor offer, pauses, wording."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.mentoring.service import Enrolled, MentoringError, ProgramStats, effective_state, next_round_at, parse_offer
from bot.mentoring.rounds import CheckInPrompt, DeliveryReport, Intro, RoundOutcome, UnmatchedNotice
from handlers.mentoring import views as views
from storage.mentoring import Participant

PARIS = ZoneInfo("Europe/Paris")


def test_the_first_round_is_the_next_monday_at_ten_local() -> None:
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)
    assert next_round_at(friday, zone=PARIS, last_round_on=None) == datetime(2026, 11, 30, 10, 0, tzinfo=PARIS)
    monday_early = datetime(2026, 11, 30, 8, 0, tzinfo=PARIS)
    assert next_round_at(monday_early, zone=PARIS, last_round_on=None) == datetime(2026, 11, 30, 10, 0, tzinfo=PARIS)
    monday_late = datetime(2026, 11, 30, 11, 0, tzinfo=PARIS)
    assert next_round_at(monday_late, zone=PARIS, last_round_on=None) == datetime(2026, 12, 7, 10, 0, tzinfo=PARIS)


def test_later_rounds_come_every_two_weeks() -> None:
    now = datetime(2026, 11, 30, 10, 5, tzinfo=PARIS)
    assert next_round_at(now, zone=PARIS, last_round_on=date(2026, 11, 30)) == datetime(2026, 12, 14, 10, tzinfo=PARIS)
    assert next_round_at(now, zone=PARIS, last_round_on=date(2026, 11, 30), cadence_days=7) == datetime(
        2026, 12, 7, 10, tzinfo=PARIS
    )


def test_offer_takes_each_word_or_quoted_phrase_as_a_skill_and_an_optional_capacity() -> None:
    assert parse_offer(("Python,", "LLM evals", "capacity", "3")) == (["python", "llm-evaluation"], 3)
    assert parse_offer(("k8s",)) == (["kubernetes"], 1)
    for bad in (("python", "capacity"), ("python", "capacity", "0"), ("python", "capacity", "many")):
        with pytest.raises(MentoringError, match="from 1 to 5"):
            parse_offer(bad)


def test_a_dated_pause_ends_by_itself_and_an_open_one_does_not() -> None:
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    dated = Participant(member_id="U1", status="paused", paused_until=now + timedelta(days=1), ignored_intros=0)
    assert effective_state(dated, now) == "paused"
    assert effective_state(dated, now + timedelta(days=2)) == "active"
    open_ended = Participant(member_id="U1", status="paused", paused_until=None, ignored_intros=0)
    assert effective_state(open_ended, now + timedelta(days=400)) == "paused"
    assert effective_state(None, now) == "active"


def test_the_introduction_says_why_they_were_matched_and_suggests_an_agenda() -> None:
    reason = {"shared_skills": ["llm-evaluation"], "overlap_hours": 3.0, "cross_team": True, "repeat": False}
    assert views.why_matched(reason, kind="peer") == (
        "you both work on llm-evaluation; 3 working hours overlap; you are on different teams"
    )
    intro = Intro(7, "org", "mentoring", ("UM", "UE"), "UM", reason, datetime(2026, 12, 7, 9, tzinfo=timezone.utc))
    message = views.intro_message(intro)
    assert "<@UM>, meet <@UE>" in message["blocks"][0]["text"]["text"]
    assert "Suggested first agenda" in message["blocks"][2]["text"]["text"]
    checkin = message["blocks"][3]["elements"][0]["text"]
    assert checkin == "Check-in: <!date^1796634000^{date_short_pretty} at {time}|2026-12-07 09:00 UTC> — I'll ask how it went."


def test_times_are_shown_in_the_readers_zone_with_a_utc_fallback() -> None:
    at = datetime(2026, 12, 14, 10, tzinfo=PARIS)
    notice = UnmatchedNotice("UE", "mentee", "capacity_full", "org", at)
    assert "next round: <!date^1797238800^{date_short_pretty} at {time}|2026-12-14 09:00 UTC>." in str(
        views.unmatched_message(notice))
    enrolled = Enrolled("mentor", ("python",), ("python",), 1, at)
    text = str(views.enrolled_message(enrolled))
    assert "(up to 1 mentee a round)" in text and "Next round: <!date^1797238800^" in text
    assert "(up to 2 mentees a round)" in str(views.enrolled_message(Enrolled("mentor", ("python",), (), 2, at)))


def test_counts_are_written_with_real_singular_and_plural_forms() -> None:
    one = RoundOutcome("org", date(2026, 11, 30), True, intros=(None,), unmatched=(None,))  # type: ignore[arg-type]
    assert "1 introduction sent, 1 person told they are unmatched." in views.round_message(one)["text"]
    none = RoundOutcome("org", date(2026, 11, 30), True, replaced=True)
    assert "0 introductions sent, 0 people told they are unmatched. The earlier round" in views.round_message(none)["text"]
    stats = str(views.stats_message([ProgramStats("org", 1, 1, 1, 0, 2, 1, 1)])) + str(
        views.stats_message([ProgramStats("org", 2, 3, 2, 1, 0, 0, 0)]))
    assert "1 round, 1 match, 1 person matched" in stats and "2 rounds, 3 matches, 2 people matched" in stats
    assert "(s)" not in stats and "(es)" not in stats
    assert str(DeliveryReport()) == "nothing was due"
    report = DeliveryReport(rounds=["org", "mlops"], introduced=1, unmatched_told=2, checkins=1, failures=1)
    assert str(report) == ("ran 2 rounds (org, mlops); 1 introduction sent; 2 people told they are unmatched; "
                           "1 check-in asked; 1 message Slack refused")


def test_the_checkin_has_three_buttons_carrying_the_match() -> None:
    blocks = views.checkin_message(CheckInPrompt(42, "G1", ("A", "B")))["blocks"]
    assert [(b["action_id"], b["value"]) for b in blocks[1]["elements"]] == [
        ("mentoring_checkin_yes", "42"), ("mentoring_checkin_not_yet", "42"), ("mentoring_checkin_cant", "42")
    ]
