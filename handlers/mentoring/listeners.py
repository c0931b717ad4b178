"""``/mentor``: offer, seek, status, pause, resume, stop, avoid, round now, stats — and the
check-in buttons ("Did you meet?").

Each listener parses, calls :class:`bot.mentoring.service.MentoringService` or
:class:`bot.mentoring.rounds.RoundService`, renders with :mod:`handlers.mentoring.views` and
replies.  ``round now`` sends introductions, so it answers after the ack.  A
:class:`MentoringError` becomes an ephemeral message saying what was wrong.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond

from bot.mentoring.service import MentoringError
from bot.services import Services
from handlers import blocks as views
from handlers.after_ack import AfterAckPool, ack_then
from handlers.command_specs import UsageError
from handlers.errors import Listeners
from handlers.guilds.listeners import remember
from handlers.guilds.slack import user_id_of
from handlers.mentoring import views as mentoring_views
from handlers.parsing import action_value, first_action, user_of, whole_number
from handlers.slash import CommandContext, Reply, Routes, SubHandler, guarded
from storage.models import utcnow


def _guarded(handler: SubHandler, *, slow: bool = False) -> SubHandler:
    return guarded(handler, MentoringError, slow=slow)


def offer(ctx: CommandContext) -> Reply:
    enrolled = ctx.services.mentoring.offer(ctx.user_id, ctx.args)
    remember(ctx.services, ctx.user_id)  # matching needs the person's time zone
    return mentoring_views.enrolled_message(enrolled)


def seek(ctx: CommandContext) -> Reply:
    enrolled = ctx.services.mentoring.seek(ctx.user_id, ctx.args)
    remember(ctx.services, ctx.user_id)  # matching needs the person's time zone
    return mentoring_views.enrolled_message(enrolled)


def status(ctx: CommandContext) -> Reply:
    return mentoring_views.status_message(ctx.services.mentoring.status(ctx.user_id), zone=ctx.services.zone)


def pause(ctx: CommandContext) -> Reply:
    if ctx.args and (ctx.args[0].lower() != "until" or len(ctx.args) != 2):
        raise UsageError("Usage: `/mentor pause` or `/mentor pause until 2027-01-15`.")
    until = ctx.services.mentoring.pause(ctx.user_id, ctx.args[1] if ctx.args else None)
    return mentoring_views.paused_message(until, zone=ctx.services.zone)


def resume(ctx: CommandContext) -> Reply:
    ctx.services.mentoring.resume(ctx.user_id)
    return mentoring_views.notice_message(":arrow_forward: Welcome back: you are in the next round.")


def stop(ctx: CommandContext) -> Reply:
    ctx.services.mentoring.stop(ctx.user_id)
    return mentoring_views.notice_message(
        "You have left mentoring: no more rounds. `/mentor offer` or `/mentor seek` brings you back."
    )


def avoid(ctx: CommandContext) -> Reply:
    other = user_id_of(ctx.args[0]) if len(ctx.args) == 1 else None
    if other is None:
        raise UsageError("Usage: `/mentor avoid @user` — pick the person from Slack's autocomplete list.")
    added = ctx.services.mentoring.avoid(ctx.user_id, other)
    note = "Done" if added else "Already noted"
    return mentoring_views.notice_message(f"{note}: you and <@{other}> will not be matched. Nobody else is told.")


def round_now(ctx: CommandContext) -> Reply:
    if not ctx.args or ctx.args[0].lower() != "now" or len(ctx.args) > 2:
        raise UsageError("Usage: `/mentor round now [guild]`.")
    guild = ctx.args[1].lower() if len(ctx.args) == 2 else None
    outcome = ctx.services.rounds.run_round_now(ctx.user_id, guild, now=utcnow())
    return mentoring_views.round_message(outcome)


def stats(ctx: CommandContext) -> Reply:
    found = ctx.services.mentoring.stats(ctx.user_id, ctx.args[0] if ctx.args else None)
    return mentoring_views.stats_message(found)


ROUTES: Routes = {
    ("/mentor", "offer"): _guarded(offer, slow=True),
    ("/mentor", "seek"): _guarded(seek, slow=True),
    ("/mentor", "status"): _guarded(status),
    ("/mentor", "pause"): _guarded(pause),
    ("/mentor", "resume"): _guarded(resume),
    ("/mentor", "stop"): _guarded(stop),
    ("/mentor", "avoid"): _guarded(avoid),
    ("/mentor", "round"): _guarded(round_now, slow=True),
    ("/mentor", "stats"): _guarded(stats),
}


def register(app: Listeners, services: Services, after_ack: AfterAckPool) -> None:
    def checkin_answer(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack_then(ack, respond, after_ack, record_answer, body, respond)

    def record_answer(body: dict[str, Any], respond: Respond) -> None:
        """A "Did you meet?" button: one answer per person and match; a repeat click changes nothing."""
        answer = str(first_action(body).get("action_id", "")).removeprefix("mentoring_checkin_")
        user_id = user_of(body)
        match_id = whole_number(action_value(body), low=1)
        try:
            if match_id is None:
                raise MentoringError("This check-in button is broken; please answer with `/mentor status`.")
            outcome = services.rounds.record_answer(match_id=match_id, member_id=user_id, answer=answer)
            reply = mentoring_views.answered_message(user_id, answer, changed=outcome.changed)
        except MentoringError as exc:
            reply = views.error_message(str(exc))
        respond(response_type="ephemeral", replace_original=False, **reply)

    for action_id in mentoring_views.CHECKIN_ACTIONS.values():
        app.action(action_id)(checkin_answer)
