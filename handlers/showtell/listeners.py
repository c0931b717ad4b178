"""``/showtell``: schedule, skip, propose, list, cancel — plus the propose, schedule and link
modals, Accept / Pass on a freed slot, Kudos on the agenda and the Propose buttons.

Each listener parses, calls :class:`bot.showtell.service.ShowTellService`, renders with
:mod:`handlers.showtell.views` and answers.  Every command runs after the ack: it reads the
person's zone from ``users.info``, opens a modal or tells people by DM.  A
:class:`ShowTellError` becomes an ephemeral message (or a modal field's error) saying what
was wrong; nothing was changed.  Modals whose outcome needs Slack calls (schedule, link) are
checked at once, then answered by updating the modal after the work is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.showtell.model import ShowTellError
from bot.showtell.schedule import ScheduleError, parse_schedule
from bot.showtell.service import check_link
from handlers import blocks
from handlers.after_ack import BUSY_TEXT, AfterAckPool, ack_then
from handlers.command_specs import UsageError
from handlers.errors import Listeners
from handlers.parsing import action_value, first_action, form_values, user_of, whole_number
from handlers.showtell import views
from handlers.slash import CommandContext, Reply, Routes, SubHandler, guarded

log = logging.getLogger(__name__)

SCHEDULE_USAGE = ("Usage: `/showtell schedule <guild> every 2 weeks on thursday at 16:00 [zone] slots=3 minutes=45`, "
                  "or `/showtell schedule <guild>` for a form.")


def reader_zone(services: Services, user_id: str) -> ZoneInfo:
    """The person's own zone from Slack's ``users.info`` (cached for a week); the bot's when unknown."""
    try:
        return views.zone_of(services.members.remember(user_id).tz, services.zone)
    except Exception as exc:  # a stale zone is better than a failed command
        log.warning("could not refresh member %s: %s", user_id, exc)
        return views.zone_of(services.members.profile(user_id).tz, services.zone)


def known_zone(services: Services, user_id: str) -> ZoneInfo:
    """The cached zone only: for answers that must not wait on Slack (inside a modal's ack)."""
    return views.zone_of(services.members.profile(user_id).tz, services.zone)


def _guarded(handler: SubHandler) -> SubHandler:
    return guarded(handler, ShowTellError, slow=True)


# -- commands --------------------------------------------------------------------------


def schedule(ctx: CommandContext) -> Reply | None:
    """``schedule <guild> every …`` sets the series; ``schedule <guild>`` opens the form."""
    words = list(ctx.args)
    lowered = [w.lower() for w in words]
    split = lowered.index("every") if "every" in lowered else min(1, len(words))
    guild, rule = " ".join(words[:split]), " ".join(words[split:])
    if not guild:
        raise UsageError(SCHEDULE_USAGE)
    if not rule:
        form = ctx.services.showtell.schedule_form(ctx.user_id, guild)
        ctx.client.views_open(trigger_id=ctx.trigger_id, view=views.schedule_modal(form))
        return None
    done = ctx.services.showtell.schedule(ctx.user_id, guild, rule)
    return views.scheduled_message(done, zone=reader_zone(ctx.services, ctx.user_id))


def skip(ctx: CommandContext) -> Reply:
    if len(ctx.args) < 2:
        raise UsageError("Usage: `/showtell skip <guild> <YYYY-MM-DD>`.")
    *guild, day = ctx.args
    return views.skipped_message(ctx.services.showtell.skip(ctx.user_id, " ".join(guild), day))


def propose(ctx: CommandContext) -> None:
    if not ctx.args:
        raise UsageError("Which guild? `/showtell propose <guild>`, for example `/showtell propose mlops`.")
    form = ctx.services.showtell.proposal_form(" ".join(ctx.args))
    zone = reader_zone(ctx.services, ctx.user_id)
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=views.propose_modal(form, zone=zone))
    return None


def list_sessions(ctx: CommandContext) -> Reply:
    guild = " ".join(ctx.args) or None
    cards = ctx.services.showtell.upcoming(guild)
    return views.list_message(cards, zone=reader_zone(ctx.services, ctx.user_id), guild=guild)


def cancel(ctx: CommandContext) -> Reply:
    if len(ctx.args) != 1:
        raise UsageError("Usage: `/showtell cancel <talk number>`, like `/showtell cancel 12`.")
    return views.cancelled_message(ctx.services.showtell.cancel(ctx.user_id, ctx.args[0]))


ROUTES: Routes = {
    ("/showtell", "schedule"): _guarded(schedule),
    ("/showtell", "skip"): _guarded(skip),
    ("/showtell", "propose"): _guarded(propose),
    ("/showtell", "list"): _guarded(list_sessions),
    ("/showtell", "cancel"): _guarded(cancel),
}


# -- modals ----------------------------------------------------------------------------


def _value(values: dict[str, Any], block: str) -> str:
    """What a person put in a form's input block: text, a selected option or a time."""
    state = (values.get(block) or {}).get(block)
    state = state if isinstance(state, dict) else {}
    selected = state.get("selected_option") if isinstance(state.get("selected_option"), dict) else {}
    return str(state.get("value") or selected.get("value") or state.get("selected_time") or "").strip()


def schedule_text(values: dict[str, Any]) -> str:
    """The schedule form as the text a lead would type, so both go through one parser."""
    zone = _value(values, "zone")
    return (f"every {_value(values, 'every')} weeks on {_value(values, 'weekday')} at {_value(values, 'time')}"
            f"{' ' + zone if zone else ''} slots={_value(values, 'slots')} minutes={_value(values, 'minutes')}")


def _int(text: object) -> int:
    return whole_number(text) or 0


def register(app: Listeners, services: Services, after_ack: AfterAckPool) -> None:
    _register_modals(app, services, after_ack)
    _register_buttons(app, services, after_ack)


def _then_update(ack: Ack, client: WebClient, view: dict[str, Any], pool: AfterAckPool,
                 work: Callable[[], dict[str, Any]], *, title: str) -> None:
    """Answer a modal with "on it", do the work (it tells people through Slack) after the ack,
    then show its outcome, or what was wrong, in the same modal (``views.update``)."""

    def run() -> None:
        try:
            reply = work()
        except ShowTellError as exc:
            reply = views.notice_message(f":warning: {exc}")
        client.views_update(view_id=view.get("id"), view=views.notice_modal(title, reply))

    accepted = pool.submit(run)
    note = ":hourglass_flowing_sand: On it…" if accepted else f":warning: {BUSY_TEXT}"
    ack(response_action="update", view=views.notice_modal(title, views.notice_message(note)))


def _register_modals(app: Listeners, services: Services, after_ack: AfterAckPool) -> None:
    showtell = services.showtell

    def propose_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Booking is a few database statements: answered in the ack, field by field."""
        values, user_id = form_values(view), user_of(body)
        try:
            booked = showtell.propose(user_id, session_id=_int(_value(values, "session")),
                                      title=_value(values, "title"), abstract=_value(values, "abstract"),
                                      minutes=_int(_value(values, "minutes")))
        except ShowTellError as exc:
            ack(response_action="errors", errors={exc.field or "session": str(exc)})
            return
        ack(response_action="update", view=views.booked_view(booked, zone=known_zone(services, user_id)))

    def schedule_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user_id, text = user_of(body), schedule_text(form_values(view))
        try:
            parse_schedule(text, default_zone=services.zone)
        except ScheduleError as exc:
            ack(response_action="errors", errors={exc.part: exc.problem})
            return

        def save() -> dict[str, Any]:
            done = showtell.schedule(user_id, str(view.get("private_metadata") or ""), text)
            return views.scheduled_message(done, zone=known_zone(services, user_id))

        _then_update(ack, client, view, after_ack, save, title="Show-and-tell schedule")

    def link_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        try:
            url = check_link(_value(form_values(view), "link"))
        except ShowTellError as exc:
            ack(response_action="errors", errors={"link": str(exc)})
            return

        def share() -> dict[str, Any]:
            shared = showtell.share_link(user_of(body), _int(view.get("private_metadata")), url)
            return views.link_shared_message(shared)

        _then_update(ack, client, view, after_ack, share, title="Share your talk")

    app.view(views.PROPOSE_CALLBACK)(propose_submitted)
    app.view(views.SCHEDULE_CALLBACK)(schedule_submitted)
    app.view(views.LINK_CALLBACK)(link_submitted)


def _register_buttons(app: Listeners, services: Services, after_ack: AfterAckPool) -> None:
    showtell = services.showtell

    def refused(respond: Respond, exc: ShowTellError) -> None:
        respond(response_type="ephemeral", replace_original=False, **blocks.error_message(str(exc)))

    def kudos_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack_then(ack, respond, after_ack, give_kudos, body, client, respond)

    def give_kudos(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """One per person and talk; the agenda's count is redrawn in place."""
        try:
            given = showtell.kudos(user_of(body), _int(action_value(body)))
        except ShowTellError as exc:
            refused(respond, exc)
            return
        container = body.get("container") if isinstance(body.get("container"), dict) else {}
        if container.get("channel_id") and container.get("message_ts"):  # the agenda the click came from
            client.chat_update(channel=container["channel_id"], ts=container["message_ts"],
                               **views.agenda_message(given.session))
        if not given.added:
            respond(response_type="ephemeral", replace_original=False, **views.kudos_notice(given))

    def offer_clicked(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack_then(ack, respond, after_ack, answer_offer, body, respond)

    def answer_offer(body: dict[str, Any], respond: Respond) -> None:
        user_id = user_of(body)
        try:
            answer = showtell.answer_offer(user_id, _int(action_value(body)),
                                           accept=first_action(body).get("action_id") == views.ACCEPT_ACTION)
        except ShowTellError as exc:
            refused(respond, exc)
            return
        respond(replace_original=True, **views.offer_answered_message(answer, zone=known_zone(services, user_id)))

    def open_link(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        talk_id = _int(action_value(body))
        client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=views.link_modal(talk_id))

    def open_proposal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Propose from App Home or a channel's nudge: the same modal as ``/showtell propose``."""
        ack()
        user_id = user_of(body)
        try:
            form = showtell.proposal_form(action_value(body))
            view = views.propose_modal(form, zone=known_zone(services, user_id))
        except ShowTellError as exc:
            view = views.notice_modal("Propose a talk", views.notice_message(f":warning: {exc}"))
        client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)

    app.action(views.KUDOS_ACTION)(kudos_clicked)
    app.action(views.ACCEPT_ACTION)(offer_clicked)
    app.action(views.PASS_ACTION)(offer_clicked)
    app.action(views.LINK_ACTION)(open_link)
    app.action(views.PROPOSE_ACTION)(open_proposal)
