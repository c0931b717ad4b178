"""What a subcommand handler is given and returns, shared by every capability's listeners.

A handler takes a :class:`CommandContext` and returns the ephemeral reply, which goes back
in the acknowledgement itself (no extra Web API call, inside Slack's 3 seconds), or ``None``
when it answered otherwise (a modal).  A handler marked :func:`after_ack` calls something
slow (MLflow, several Web API calls): the command is acknowledged at once and the handler
runs on the after-ack pool, its reply sent through ``respond``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.services import Services
from handlers import blocks
from handlers.after_ack import AfterAckPool
from handlers.command_specs import ParsedCommand

Reply = dict[str, Any]


@dataclass(frozen=True)
class CommandContext:
    """The parsed text, who and where, the services, and the means to answer."""

    parsed: ParsedCommand
    user_id: str
    channel_id: str
    trigger_id: str
    services: Services
    client: WebClient
    respond: Respond
    after_ack: AfterAckPool  # for work that may follow the reply

    @property
    def args(self) -> tuple[str, ...]:
        return self.parsed.args

    def usage_error(self, problem: str) -> Reply:
        return blocks.error_message(problem, self.parsed.spec)


SubHandler = Callable[[CommandContext], "Reply | None"]
Routes = dict[tuple[str, str], SubHandler]


def after_ack(handler: SubHandler) -> SubHandler:
    """Mark a handler that calls something slow: acknowledged at once, answered after."""
    handler.after_ack = True  # type: ignore[attr-defined]
    return handler


def is_after_ack(handler: SubHandler) -> bool:
    return bool(getattr(handler, "after_ack", False))


def guarded(handler: SubHandler, *errors: type[Exception], slow: bool = False) -> SubHandler:
    """A capability's refusals (their message is meant for the person) become a specific
    ephemeral error; ``slow`` handlers answer after the ack."""

    def run(ctx: CommandContext) -> Reply | None:
        try:
            return handler(ctx)
        except errors as exc:
            return blocks.error_message(str(exc))

    run.__name__ = handler.__name__
    return after_ack(run) if slow else run
