"""``/guild``: list, info, join, leave, profile, create, lead, archive — plus their buttons,
the profile modal and channel membership events.

Each listener parses the payload, calls :class:`bot.guilds.service.GuildService` or
:class:`bot.guilds.members.MemberService`, renders with :mod:`handlers.guilds.views` and replies.
Routes that call Slack more than once (join, create, profile) run after the ack, so the
acknowledgement never waits on the Web API.  A :class:`GuildError` becomes an ephemeral
message that says what was wrong; nothing was changed.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.guilds.members import ProfileError
from bot.guilds.service import ChannelInvite, GuildError, GuildQuery, GuildService
from bot.services import Services
from handlers import blocks as views
from handlers.after_ack import AfterAckPool, ack_then
from handlers.command_specs import UsageError
from handlers.errors import Listeners
from handlers.guilds import views as guild_views
from handlers.guilds.slack import channel_id_of, user_id_of
from handlers.home import publish_home
from handlers.parsing import action_value, first_action, form_values, user_of, whole_number
from handlers.slash import CommandContext, Reply, Routes, SubHandler, guarded

log = logging.getLogger(__name__)


def remember(services: Services, user_id: str) -> None:
    """Refresh the cached name and time zone of someone the bot just met (never fails the request)."""
    try:
        services.members.remember(user_id)
    except Exception as exc:  # a stale cache is better than a failed join
        log.warning("could not refresh member %s: %s", user_id, exc)


def _guarded(handler: SubHandler, *, slow: bool = False) -> SubHandler:
    return guarded(handler, GuildError, slow=slow)


def _unescape(text: str) -> str:
    """Slack sends ``&``, ``<`` and ``>`` typed in a command as HTML entities."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _query(args: tuple[str, ...]) -> GuildQuery:
    if not args:
        raise UsageError("Which guild? Give its name or slug, for example `mlops`.")
    if len(args) == 1 and (channel_id := channel_id_of(args[0])):
        return GuildQuery(channel_id=channel_id)
    return GuildQuery(text=_unescape(" ".join(args)))


# -- commands ------------------------------------------------------------------------


def list_guilds(ctx: CommandContext) -> Reply:
    page = (whole_number(ctx.args[0], low=1) or 1) - 1 if ctx.args else 0
    return guild_views.list_message(ctx.services.guilds.page(ctx.user_id, page))


def info(ctx: CommandContext) -> Reply:
    return guild_views.info_message(ctx.services.guilds.info(ctx.user_id, _query(ctx.args)))


def join(ctx: CommandContext) -> Reply:
    change = ctx.services.guilds.join(ctx.user_id, _query(ctx.args), source="command")
    remember(ctx.services, ctx.user_id)
    return guild_views.joined_message(change, change.invite)


def leave(ctx: CommandContext) -> Reply:
    """Leaving the guild does not remove anyone from the channel; the reply says so."""
    change = ctx.services.guilds.leave(ctx.user_id, _query(ctx.args), source="command")
    return guild_views.left_message(change)


def profile(ctx: CommandContext) -> None:
    ctx.client.views_open(trigger_id=ctx.trigger_id,
                          view=guild_views.profile_modal(ctx.services.members.profile(ctx.user_id)))
    remember(ctx.services, ctx.user_id)
    return None


def create(ctx: CommandContext) -> Reply:
    if len(ctx.args) < 3:
        raise UsageError('Usage: `/guild create <slug> #channel "Name" [description]`.')
    slug, channel_ref, name, *description = ctx.args
    channel_id = channel_id_of(channel_ref)
    if channel_id is None:
        if channel_ref.startswith("#"):
            raise GuildError(
                f"I got `{channel_ref}` as plain text. Pick the channel from Slack's autocomplete list "
                "as you type `#`, so Slack sends me its ID."
            )
        raise UsageError(f"`{channel_ref}` is not a channel: the second argument is the guild's #channel.")
    created = ctx.services.guilds.create(
        ctx.user_id, slug=slug, channel_id=channel_id, name=_unescape(name),
        description=_unescape(" ".join(description)),
    )
    return guild_views.created_message(created.card, adopted=created.adopted, in_channel=created.in_channel)


def lead(ctx: CommandContext) -> Reply:
    if len(ctx.args) < 3 or ctx.args[0].lower() not in ("add", "remove"):
        raise UsageError("Usage: `/guild lead add|remove <guild> @user`.")
    verb, *guild_words, person = ctx.args
    member_id = user_id_of(person)
    if member_id is None:
        raise GuildError(
            f"I got `{person}` as plain text. Pick the person from Slack's autocomplete list as you type `@`, "
            "so Slack sends me their ID."
        )
    added = verb.lower() == "add"
    card = ctx.services.guilds.change_lead(ctx.user_id, _query(tuple(guild_words)), member_id, add=added)
    return guild_views.lead_changed_message(card, member_id, added=added)


def archive(ctx: CommandContext) -> Reply:
    return guild_views.archived_message(ctx.services.guilds.archive(ctx.user_id, _query(ctx.args)))


ROUTES: Routes = {
    ("/guild", "list"): _guarded(list_guilds),
    ("/guild", "info"): _guarded(info),
    ("/guild", "join"): _guarded(join, slow=True),
    ("/guild", "leave"): _guarded(leave),
    ("/guild", "profile"): _guarded(profile, slow=True),
    ("/guild", "create"): _guarded(create, slow=True),
    ("/guild", "lead"): _guarded(lead),
    ("/guild", "archive"): _guarded(archive),
}


# -- buttons, modal, events ----------------------------------------------------------


def register(app: Listeners, services: Services, after_ack: AfterAckPool) -> None:
    guilds = services.guilds

    def membership_button(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack_then(ack, respond, after_ack, change_membership, body, client, respond)

    def change_membership(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """Join/Leave on a list page, a guild card or App Home: the same service as the commands."""
        user_id = user_of(body)
        slug, origin = guild_views.parse_button_value(action_value(body))
        invite = None
        try:
            if first_action(body).get("action_id") == guild_views.JOIN_ACTION:
                change = guilds.join(user_id, GuildQuery(text=slug), source="button")
                invite = change.invite
                notice = guild_views.join_notice(change.card, invite)
            else:
                notice = guild_views.leave_notice(guilds.leave(user_id, GuildQuery(text=slug), source="button").card)
        except GuildError as exc:
            notice = f":warning: {exc}"
        remember(services, user_id)
        if (body.get("container") or {}).get("type") == "view":
            publish_home(client, services, user_id)
            if invite in (ChannelInvite.UNREACHABLE, ChannelInvite.FAILED):
                client.chat_postMessage(channel=user_id, text=notice)
        else:
            reply = _refreshed(guilds, user_id, slug, origin, notice)
            respond(replace_original=True, response_type="ephemeral", **reply)

    def list_page(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack_then(ack, respond, after_ack, show_page, body, respond)

    def show_page(body: dict[str, Any], respond: Respond) -> None:
        page = whole_number(action_value(body)) or 0
        reply = guild_views.list_message(guilds.page(user_of(body), page))
        respond(replace_original=True, response_type="ephemeral", **reply)

    def open_profile(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id = user_of(body)
        view = guild_views.profile_modal(services.members.profile(user_id))
        client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
        after_ack.submit(remember, services, user_id)

    def profile_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = form_values(view)

        def text(field: str) -> str:
            state = values.get(field, {}).get(field)
            value = state.get("value") if isinstance(state, dict) else None
            return value if isinstance(value, str) else ""

        try:
            saved = services.members.update_profile(user_of(body), teach_text=text("teach"), learn_text=text("learn"))
        except ProfileError as exc:
            ack(response_action="errors", errors=exc.problems)
            return
        ack(response_action="update", view=guild_views.profile_saved_view(saved))

    def channel_membership(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        """Joining or leaving a guild's channel joins or leaves the guild; no invitation back."""
        user_id, channel_id = event.get("user"), event.get("channel")
        if not (isinstance(user_id, str) and isinstance(channel_id, str)) or user_id == context.bot_user_id:
            return
        # Namespaced: another capability may de-duplicate the same Slack event for its own purpose.
        event_key = "guilds:" + (body.get("event_id") or f"{channel_id}:{user_id}:{event.get('event_ts')}")
        sync = guilds.channel_joined if event.get("type") == "member_joined_channel" else guilds.channel_left
        if sync(event_key=event_key, channel_id=channel_id, user_id=user_id) is not None:
            after_ack.submit(remember, services, user_id)

    app.action(guild_views.JOIN_ACTION)(membership_button)
    app.action(guild_views.LEAVE_ACTION)(membership_button)
    for action_id in guild_views.PAGE_ACTIONS:
        app.action(action_id)(list_page)
    app.action(guild_views.PROFILE_ACTION)(open_profile)
    app.view(guild_views.PROFILE_CALLBACK)(profile_submitted)
    app.event("member_joined_channel")(channel_membership)
    app.event("member_left_channel")(channel_membership)


def _refreshed(guilds: GuildService, user_id: str, slug: str, origin: str | None, notice: str) -> Reply:
    """The message the button was on, redrawn after the change, with what happened on top."""
    if origin == guild_views.INFO_ORIGIN:
        try:
            return guild_views.info_message(guilds.info(user_id, GuildQuery(text=slug)), notice=notice)
        except GuildError:
            return views.message(notice, [views.section(notice)])
    page = whole_number(origin) or 0
    return guild_views.list_message(guilds.page(user_id, page), notice=notice)
