"""``/mentor``: offer, seek, status, pause, resume, stop, avoid, round now, stats — and the
check-in buttons ("Did you meet?").

Each listener parses, calls :class:`bot.mentoring.service.MentoringService` or
:class:`bot.mentoring.rounds.RoundService`, renders with :mod:`handlers.mentoring.views` and
replies.  ``round now`` sends introductions, so it answers after the ack.  A
:class:`MentoringError` becomes an ephemeral message saying what was wrong.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from handlers import blocks as views
from handlers.command_specs import UsageError
from bot.guilds.members import MemberService
from bot.mentoring.service import MentoringError, MentoringService
from bot.mentoring.rounds import DeliveryReport, RoundService
from bot.services import Services
from handlers.mentoring import views as mentoring_views
from handlers.commands import CommandContext, Reply, SubHandler, guarded
from handlers.guilds.slack import SlackDirectory, user_id_of
from handlers.mentoring.delivery import SlackMentoringDelivery
from storage.models import utcnow

log = logging.getLogger(__name__)


def _service(services: Services) -> MentoringService:
    return MentoringService(services.db, zone=services.settings.zone, is_admin=services.is_admin)


def _rounds(services: Services) -> RoundService:
    return RoundService(services.db, zone=services.settings.zone)


def _guarded(handler: SubHandler, *, slow: bool = False) -> SubHandler:
    return guarded(handler, MentoringError, slow=slow)


def _remember(ctx: CommandContext) -> None:
    """Matching needs the person's time zone: refresh it from Slack's directory (never fails the command)."""
    try:
        MemberService(ctx.services.db).remember(ctx.user_id, SlackDirectory(ctx.client))
    except Exception as exc:
        log.warning("could not refresh member %s: %s", ctx.user_id, exc)


def offer(ctx: CommandContext) -> Reply:
    enrolled = _service(ctx.services).offer(ctx.user_id, ctx.args)
    _remember(ctx)
    return mentoring_views.enrolled_message(enrolled, zone=ctx.services.settings.zone)


def seek(ctx: CommandContext) -> Reply:
    enrolled = _service(ctx.services).seek(ctx.user_id, ctx.args)
    _remember(ctx)
    return mentoring_views.enrolled_message(enrolled, zone=ctx.services.settings.zone)


def status(ctx: CommandContext) -> Reply:
    return mentoring_views.status_message(_service(ctx.services).status(ctx.user_id), zone=ctx.services.settings.zone)


def pause(ctx: CommandContext) -> Reply:
    if ctx.args and (ctx.args[0].lower() != "until" or len(ctx.args) != 2):
        raise UsageError("Usage: `/mentor pause` or `/mentor pause until 2027-01-15`.")
    until = _service(ctx.services).pause(ctx.user_id, ctx.args[1] if ctx.args else None)
    return mentoring_views.paused_message(until, zone=ctx.services.settings.zone)


def resume(ctx: CommandContext) -> Reply:
    _service(ctx.services).resume(ctx.user_id)
    return mentoring_views.notice_message(":arrow_forward: Welcome back: you are in the next round.")


def stop(ctx: CommandContext) -> Reply:
    _service(ctx.services).stop(ctx.user_id)
    return mentoring_views.notice_message(
        "You have left mentoring: no more rounds. `/mentor offer` or `/mentor seek` brings you back."
    )


def avoid(ctx: CommandContext) -> Reply:
    other = user_id_of(ctx.args[0]) if len(ctx.args) == 1 else None
    if other is None:
        raise UsageError("Usage: `/mentor avoid @user` — pick the person from Slack's autocomplete list.")
    added = _service(ctx.services).avoid(ctx.user_id, other)
    note = "Done" if added else "Already noted"
    return mentoring_views.notice_message(f"{note}: you and <@{other}> will not be matched. Nobody else is told.")


def round_now(ctx: CommandContext) -> Reply:
    if not ctx.args or ctx.args[0].lower() != "now" or len(ctx.args) > 2:
        raise UsageError("Usage: `/mentor round now [guild]`.")
    if not ctx.services.is_admin(ctx.user_id):
        raise MentoringError("Only factorybot admins can start a round.")
    rounds = _rounds(ctx.services)
    slug = rounds.program_for(ctx.args[1].lower() if len(ctx.args) == 2 else None)
    outcome = rounds.run_round(slug, now=utcnow(), started_by=ctx.user_id)
    if outcome.ran:
        delivery = SlackMentoringDelivery(ctx.client, zone=ctx.services.settings.zone)
        rounds.deliver(delivery, outcome, DeliveryReport())
    return mentoring_views.round_message(outcome, zone=ctx.services.settings.zone)


def stats(ctx: CommandContext) -> Reply:
    found = _service(ctx.services).stats(ctx.user_id, ctx.args[0] if ctx.args else None)
    return mentoring_views.stats_message(found)


ROUTES: dict[tuple[str, str], SubHandler] = {
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


def register(app: App, services: Services) -> None:
    def checkin_answer(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        """A "Did you meet?" button: one answer per person and match; a repeat click changes nothing."""
        ack()
        action = body["actions"][0]
        answer = action["action_id"].removeprefix("mentoring_checkin_")
        user_id = body["user"]["id"]
        try:
            match_id = int(action.get("value", ""))
            outcome = _rounds(services).record_answer(match_id=match_id, member_id=user_id, answer=answer)
            reply = mentoring_views.answered_message(user_id, answer, changed=outcome.changed)
        except ValueError:
            reply = views.error_message("This check-in button is broken; please answer with `/mentor status`.")
        except MentoringError as exc:
            reply = views.error_message(str(exc))
        respond(response_type="ephemeral", replace_original=False, **reply)

    for action_id in mentoring_views.CHECKIN_ACTIONS.values():
        app.action(action_id)(checkin_answer)
