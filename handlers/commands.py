"""Slash commands: ``/factory``, ``/guild``, ``/mentor``, ``/showtell``, ``/approval``, ``/model``.

One listener per command parses the text (:mod:`handlers.command_specs`) and dispatches to
the subcommand's handler in the routes each capability declares (``handlers/<capability>``).
A fast handler's reply is the acknowledgement; a slow one (:func:`handlers.slash.after_ack`)
is acknowledged at once and runs on the after-ack pool — or, when that pool is full, the
person is told at once to try again in a minute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.services import Services
from handlers import blocks
from handlers.after_ack import BUSY_TEXT, AfterAckPool
from handlers.command_specs import COMMANDS, CommandSpec, UsageError, parse_command
from handlers.errors import Listeners, failure_text, report
from handlers.slash import CommandContext, Reply, Routes, SubHandler, is_after_ack


def help_routes() -> Routes:
    return {(name, "help"): _help for name in COMMANDS}


def register(app: Listeners, services: Services, after_ack: AfterAckPool, routes: Routes) -> None:
    for spec in COMMANDS.values():
        app.command(spec.command)(_make_listener(spec, services, after_ack, routes))


def _make_listener(spec: CommandSpec, services: Services, pool: AfterAckPool, routes: Routes) -> Callable[..., None]:
    def listener(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        try:
            parsed = parse_command(spec.command, command.get("text", ""))
        except UsageError as exc:
            ack(response_type="ephemeral", **blocks.error_message(str(exc), spec))
            return
        handler = routes.get((spec.command, parsed.sub.name))
        if handler is None:
            ack(response_type="ephemeral", **blocks.not_yet_message(spec, parsed.sub.usage))
            return
        ctx = CommandContext(
            parsed=parsed, user_id=str(command.get("user_id", "")), channel_id=str(command.get("channel_id", "")),
            trigger_id=str(command.get("trigger_id", "")), services=services, client=client, respond=respond,
            after_ack=pool,
        )
        if not is_after_ack(handler):
            reply = _answer(spec, handler, ctx)
            ack(response_type="ephemeral", **reply) if reply else ack()
        elif pool.submit(_answer_later, spec, handler, ctx):
            ack()
        else:
            ack(response_type="ephemeral", **blocks.error_message(BUSY_TEXT))

    listener.__name__ = f"command_{spec.command.strip('/')}"
    return listener


def _answer(spec: CommandSpec, handler: SubHandler, ctx: CommandContext) -> Reply | None:
    try:
        return handler(ctx)
    except UsageError as exc:
        return blocks.error_message(str(exc), spec)
    except Exception:  # a bug must still get a civil answer, not a 500
        ref = report(f"{spec.command} {ctx.parsed.sub.name}")
        return blocks.error_message(failure_text(ref))


def _answer_later(spec: CommandSpec, handler: SubHandler, ctx: CommandContext) -> None:
    reply = _answer(spec, handler, ctx)
    if reply:
        ctx.respond(response_type="ephemeral", **reply)


def _help(ctx: CommandContext) -> Reply:
    if ctx.parsed.spec.command == "/factory":
        return blocks.overview_message(admin=ctx.services.is_admin(ctx.user_id))
    return blocks.usage_message(ctx.parsed.spec)
