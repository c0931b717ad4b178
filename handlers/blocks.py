"""Block Kit rendering: the shared pieces and the help surfaces.

Each capability renders its own messages and views in its ``views`` module
(``handlers.guilds.views``, …).  Built with slack-sdk's block models
(``slack_sdk.models.blocks``), which validate lengths as they go, then turned into
plain dicts for the Web API.  See https://api.slack.com/reference/block-kit/blocks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.text import utc_text
from handlers.command_specs import COMMANDS, CommandSpec
from handlers.parsing import shorten

Message = dict[str, Any]

HOME_CALLBACK_ID = "factory_home"
TEXT_LIMIT = 3000  # a section's or a context element's text (Block Kit)


def section(text: str) -> SectionBlock:
    """A mrkdwn section; text past Block Kit's limit is cut rather than refused by Slack."""
    return SectionBlock(text=MarkdownTextObject(text=shorten(text, TEXT_LIMIT)))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=shorten(text, TEXT_LIMIT))])


def when(at: datetime | None) -> str:
    """A moment as Slack shows it to each reader, in their own time zone ("Yesterday at 9:44 PM"),
    with the UTC time as the fallback text: the one way every view writes a time.
    https://api.slack.com/reference/surfaces/formatting#date-formatting"""
    if at is None:
        return "—"
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{utc_text(at)}>"


def message(text: str, blocks: list[Block]) -> Message:
    """``text`` is the notification and screen-reader fallback; ``blocks`` is what people see."""
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}


def _usage_text(spec: CommandSpec) -> str:
    lines = []
    for sub in spec.subcommands:
        soon = "" if sub.available else " _(coming soon)_"
        lines.append(f"• `{spec.command} {sub.usage}` — {sub.summary}{soon}")
    return "\n".join(lines)


def overview_message(admin: bool = False) -> Message:
    """``/factory help``: what the bot does and every command it answers."""
    blocks: list[Block] = [
        HeaderBlock(text="factorybot — your AI factory in Slack"),
        section(
            "Find your people in *guilds*, learn from peers through *mentoring*, show your work at "
            "*show-and-tell*, get *approvals* fast, and follow *models* from MLflow to production."
        ),
        DividerBlock(),
    ]
    for spec in COMMANDS.values():
        if spec.command == "/factory":
            continue
        blocks.append(section(f"*{spec.title}* — `{spec.command} help`\n{spec.description}"))
    footer = "Type `help` after any command for its usage."
    if admin:
        footer += " You are a factorybot admin."
    blocks.append(context(footer))
    return message("factorybot help: guilds, mentoring, show-and-tell, approvals and models", blocks)


def usage_message(spec: CommandSpec) -> Message:
    """``/<command> help``: the command's subcommands, planned ones marked."""
    blocks: list[Block] = [
        section(f"*{spec.title}* — {spec.description}"),
        section(_usage_text(spec)),
    ]
    return message(f"{spec.command} usage: {spec.usage_hint}", blocks)


def error_message(problem: str, spec: CommandSpec | None = None) -> Message:
    """An ephemeral error: what went wrong, then how to use the command."""
    blocks: list[Block] = [section(f":warning: {problem}")]
    if spec is not None:
        blocks.append(section(f"*Usage*\n{_usage_text(spec)}"))
    return message(problem, blocks)


def not_yet_message(spec: CommandSpec, usage: str) -> Message:
    problem = f"`{spec.command} {usage}` is planned but not available yet."
    return error_message(problem, spec)


def home_view(*, user_id: str, admin: bool, sections: list[Block] | None = None) -> dict[str, Any]:
    """The App Home tab; ``sections`` are the capabilities' own parts (my guilds, my requests…)."""
    blocks: list[Block] = [
        HeaderBlock(text="Welcome to the AI factory"),
        section(
            f"Hi <@{user_id}>! factorybot connects builders: guilds to find your people, peer mentoring, "
            "show-and-tell sessions, approvals that move fast, and model deployments through MLflow."
        ),
        DividerBlock(),
        *(sections or []),
    ]
    if sections:
        blocks.append(DividerBlock())
    blocks.append(section("*Commands*\n" + "\n".join(f"`{c} help` — {s.description}" for c, s in COMMANDS.items())))
    if admin:
        blocks.append(context(":key: You are a factorybot admin."))
    view = View(type="home", callback_id=HOME_CALLBACK_ID, blocks=blocks)
    return view.to_dict()
