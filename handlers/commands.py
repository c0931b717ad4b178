"""Slash commands: ``/factory``, ``/guild``, ``/mentor``, ``/showtell``, ``/approval``, ``/model``.

One listener per command parses the text (:mod:`handlers.command_specs`) and dispatches to the
subcommand's handler in ``ROUTES``.  A handler returns the ephemeral reply, which goes
back in the acknowledgement itself (no extra Web API call, inside Slack's 3 seconds),
or ``None`` when it answered otherwise (a modal, a ``respond`` after slow work).
Capabilities add their routes in their own handler module's ``ROUTES``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers import blocks as views
from handlers.command_specs import COMMANDS, CommandSpec, ParsedCommand, UsageError, parse_command
from bot.services import Services

log = logging.getLogger(__name__)

Reply = dict[str, Any]


@dataclass(frozen=True)
class CommandContext:
    """What a subcommand handler gets: the parsed text, who and where, and the means to answer."""

    parsed: ParsedCommand
    user_id: str
    channel_id: str
    trigger_id: str
    services: Services
    client: WebClient
    respond: Respond

    @property
    def args(self) -> tuple[str, ...]:
        return self.parsed.args

    def usage_error(self, problem: str) -> Reply:
        return views.error_message(problem, self.parsed.spec)


SubHandler = Callable[[CommandContext], "Reply | None"]


def register(app: App, services: Services) -> None:
    for spec in COMMANDS.values():
        app.command(spec.command)(_make_listener(spec, services))


def after_ack(handler: SubHandler) -> SubHandler:
    """Mark a handler that calls something slow (MLflow, many Web API calls): the command is
    acknowledged at once and the reply goes through ``respond`` (Slack's 3-second rule)."""
    handler.after_ack = True  # type: ignore[attr-defined]
    return handler


def guarded(handler: SubHandler, *errors: type[Exception], slow: bool = False) -> SubHandler:
    """A capability's domain errors (their message is meant for the person) become a specific
    ephemeral error; ``slow`` handlers answer after the ack."""

    def run(ctx: CommandContext) -> Reply | None:
        try:
            return handler(ctx)
        except errors as exc:
            return views.error_message(str(exc))

    run.__name__ = handler.__name__
    return after_ack(run) if slow else run


class _Replier:
    """Answers once through the ack while it is still open, through ``respond`` after."""

    def __init__(self, ack: Ack, respond: Respond) -> None:
        self._ack, self._respond, self.acked = ack, respond, False

    def ack_now(self) -> None:
        if not self.acked:
            self._ack()
            self.acked = True

    def send(self, reply: Reply | None) -> None:
        if self.acked:
            if reply:
                self._respond(response_type="ephemeral", **reply)
        elif reply:
            self._ack(response_type="ephemeral", **reply)
        else:
            self._ack()
        self.acked = True


def _make_listener(spec: CommandSpec, services: Services) -> Callable[..., None]:
    def listener(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        replier = _Replier(ack, respond)
        replier.send(_answer(spec, command, services, client, respond, replier))

    listener.__name__ = f"command_{spec.command.strip('/')}"
    return listener


def _answer(
    spec: CommandSpec,
    command: dict[str, Any],
    services: Services,
    client: WebClient,
    respond: Respond,
    replier: _Replier,
) -> Reply | None:
    try:
        parsed = parse_command(spec.command, command.get("text", ""))
        handler = routes().get((spec.command, parsed.sub.name))
        if handler is None:
            return views.not_yet_message(spec, parsed.sub.usage)
        ctx = CommandContext(
            parsed=parsed,
            user_id=command.get("user_id", ""),
            channel_id=command.get("channel_id", ""),
            trigger_id=command.get("trigger_id", ""),
            services=services,
            client=client,
            respond=respond,
        )
        if getattr(handler, "after_ack", False):
            replier.ack_now()
        return handler(ctx)
    except UsageError as exc:
        return views.error_message(str(exc), spec)
    except Exception:  # a bug must still get a civil answer, not a 500
        ref = uuid.uuid4().hex[:8]
        log.exception("command %s failed (ref %s)", spec.command, ref)
        return views.error_message(f"Something went wrong on my side (ref `{ref}`). Please try again.")


def _help(ctx: CommandContext) -> Reply:
    if ctx.parsed.spec.command == "/factory":
        return views.overview_message(admin=ctx.services.is_admin(ctx.user_id))
    return views.usage_message(ctx.parsed.spec)


HELP_ROUTES: dict[tuple[str, str], SubHandler] = {(name, "help"): _help for name in COMMANDS}


def routes() -> dict[tuple[str, str], SubHandler]:
    """Every routed subcommand: help here, the rest from each capability's handler module
    (imported here, not at the top: those modules import this one)."""
    from handlers import approvals, guilds, mentoring, models

    return {**HELP_ROUTES, **guilds.ROUTES, **models.ROUTES, **approvals.ROUTES, **mentoring.ROUTES}
