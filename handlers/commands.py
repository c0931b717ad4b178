"""Slash commands: ``/factory``, ``/guild``, ``/mentor``, ``/showtell``, ``/approval``, ``/model``.

Every answer here is ephemeral and goes back in the acknowledgement itself, so it
costs no Web API call and arrives within Slack's 3 seconds.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot import views
from bot.commands import COMMANDS, CommandSpec, ParsedCommand, UsageError, parse_command
from bot.services import Services

log = logging.getLogger(__name__)

Reply = dict[str, Any]
SubHandler = Callable[[ParsedCommand, dict[str, Any], Services], Reply]


def register(app: App, services: Services) -> None:
    for spec in COMMANDS.values():
        app.command(spec.command)(_make_listener(spec, services))


def _make_listener(spec: CommandSpec, services: Services) -> Callable[..., None]:
    def listener(ack: Ack, command: dict[str, Any]) -> None:
        ack(response_type="ephemeral", **_answer(spec, command, services))

    listener.__name__ = f"command_{spec.command.strip('/')}"
    return listener


def _answer(spec: CommandSpec, command: dict[str, Any], services: Services) -> Reply:
    try:
        parsed = parse_command(spec.command, command.get("text", ""))
        handler = ROUTES.get((spec.command, parsed.sub.name))
        if handler is None:
            return views.not_yet_message(spec, parsed.sub.usage)
        return handler(parsed, command, services)
    except UsageError as exc:
        return views.error_message(str(exc), spec)
    except Exception:  # a bug must still get a civil answer, not a 500
        ref = uuid.uuid4().hex[:8]
        log.exception("command %s failed (ref %s)", spec.command, ref)
        return views.error_message(f"Something went wrong on my side (ref `{ref}`). Please try again.")


def _help(parsed: ParsedCommand, command: dict[str, Any], services: Services) -> Reply:
    if parsed.spec.command == "/factory":
        return views.overview_message(admin=services.is_admin(command.get("user_id", "")))
    return views.usage_message(parsed.spec)


ROUTES: dict[tuple[str, str], SubHandler] = {(name, "help"): _help for name in COMMANDS}
