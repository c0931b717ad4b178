"""The slash-command surface: what each command offers, and parsing its text.

Plain data, no Slack: ``manifest.yml`` declares these commands (a test keeps both
in step), the help texts are rendered from them, and handlers dispatch on the parsed
result.  A subcommand marked ``available=False`` is planned and answers with its usage.
"""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass, field

from handlers.parsing import clean, quoted


@dataclass(frozen=True)
class Subcommand:
    name: str
    args: str
    summary: str
    available: bool = False

    @property
    def usage(self) -> str:
        return f"{self.name} {self.args}".strip()


@dataclass(frozen=True)
class CommandSpec:
    command: str
    title: str
    description: str  # the manifest's one-line description
    usage_hint: str  # the manifest's usage hint
    subcommands: tuple[Subcommand, ...] = field(default_factory=tuple)

    def find(self, name: str) -> Subcommand | None:
        return next((s for s in self.subcommands if s.name == name), None)


HELP = Subcommand("help", "", "show this help", available=True)

COMMANDS: dict[str, CommandSpec] = {
    spec.command: spec
    for spec in (
        CommandSpec(
            "/factory",
            "AI factory",
            "Overview of factorybot - guilds, mentoring, show-and-tell, approvals, models",
            "help | digest preview [guild] | digest send <guild|org|all> "
            "| digest schedule <guild> <weekday> <HH:MM>|off",
            (
                Subcommand(
                    "digest", "preview [guild] | send <guild|org|all> | schedule <guild> <weekday> <HH:MM>|off",
                    "the flywheel digest of this week so far, only to you; post last week's now (admins); "
                    "move or turn off a guild's weekly digest (its leads)",
                    available=True,
                ),
                HELP,
            ),
        ),
        CommandSpec(
            "/guild",
            "Guilds",
            "Join and run communities of practice",
            "list | info <guild> | join <guild> | leave <guild> | profile | help",
            (
                Subcommand("list", "", "every guild, its channel, members and leads", available=True),
                Subcommand("info", "<guild>", "description, leads, top skills, next show-and-tell", available=True),
                Subcommand("join", "<guild>", "join a guild and its channel", available=True),
                Subcommand("leave", "<guild>", "leave a guild", available=True),
                Subcommand(
                    "profile", "", "edit the skills you teach and the topics you want to learn", available=True
                ),
                Subcommand(
                    "create", '<slug> #channel "Name" [description]', "create a guild (admins)", available=True
                ),
                Subcommand(
                    "lead", "add|remove <guild> @user", "change a guild's leads (admins, leads)", available=True
                ),
                Subcommand("archive", "<guild>", "archive a guild (admins)", available=True),
                HELP,
            ),
        ),
        CommandSpec(
            "/mentor",
            "Peer mentoring",
            "Offer or seek mentoring and get matched in rounds",
            "offer <skills…> | seek <skills…> | status | pause | resume | stop | help",
            (
                Subcommand("offer", "<skills…> [capacity N]", "mentor others in these skills", available=True),
                Subcommand("seek", "<skills…>", "find a mentor for these skills", available=True),
                Subcommand("status", "", "your role, skills, current match and next round", available=True),
                Subcommand("pause", "[until DATE]", "skip rounds for a while", available=True),
                Subcommand("resume", "", "take part in rounds again", available=True),
                Subcommand("stop", "", "leave mentoring", available=True),
                Subcommand("avoid", "@user", "never be matched with this person (private)", available=True),
                Subcommand("round", "now [guild]", "run a matching round now (admins)", available=True),
                Subcommand("stats", "[guild]", "matches and meeting rates (admins)", available=True),
                HELP,
            ),
        ),
        CommandSpec(
            "/showtell",
            "Show-and-tell",
            "Book a slot at a guild's demo session",
            "list [guild] | propose <guild> | cancel <talk> | schedule <guild> | skip <guild> <date> | help",
            (
                Subcommand("list", "[guild]", "coming sessions, talks and free slots, in your time zone",
                           available=True),
                Subcommand("propose", "<guild>", "propose a talk: pick a session, or join its waitlist",
                           available=True),
                Subcommand("cancel", "<talk number>", "cancel a talk (its presenter, the guild's leads, admins)",
                           available=True),
                Subcommand("schedule", "<guild> [every <N> weeks on <day> at <HH:MM> [zone] slots=<n> minutes=<m>]",
                           "set the guild's sessions, or open a form (leads, admins)", available=True),
                Subcommand("skip", "<guild> <YYYY-MM-DD>", "skip one session and tell those booked (leads, admins)",
                           available=True),
                HELP,
            ),
        ),
        CommandSpec(
            "/approval",
            "Approvals",
            "Request and decide deployments, data and tool access",
            "request | status <id> | list [mine|pending|all] | help",
            (
                Subcommand("request", "[type]", "open a request form", available=True),
                Subcommand("status", "<id>", "a request's whole timeline", available=True),
                Subcommand("list", "[mine|pending|all]", "requests you filed, await or can see", available=True),
                HELP,
            ),
        ),
        CommandSpec(
            "/model",
            "Models",
            "MLflow model status and approved deployments",
            "list | status <name> | deploy <name> <version> [to <alias>] | help",
            (
                Subcommand("list", "[filter]", "registered models with aliases and latest version", available=True),
                Subcommand("status", "<name> [version]", "aliases, versions, metrics, last deployment", available=True),
                Subcommand("history", "<name>", "deployments made through the bot", available=True),
                Subcommand("deploy", "<name> <version> [to <alias>]", "request a deployment", available=True),
                Subcommand("rollback", "<name> [alias]", "request a rollback to the previous version", available=True),
                Subcommand("watch", "<name>", "post this model's events in this channel", available=True),
                Subcommand("unwatch", "<name>", "stop posting them here", available=True),
                HELP,
            ),
        ),
    )
}


class UsageError(Exception):
    """The text of a slash command could not be understood; the message says why."""


@dataclass(frozen=True)
class ParsedCommand:
    spec: CommandSpec
    sub: Subcommand
    args: tuple[str, ...]


def parse_command(command: str, text: str) -> ParsedCommand:
    """Split ``text`` shell-style into a known subcommand and its arguments.

    An empty text means ``help``; control characters are dropped (PostgreSQL refuses NUL).
    Unknown commands, unknown subcommands and unbalanced quotes raise :class:`UsageError`
    with a message meant for the person who typed it.
    """
    spec = COMMANDS.get(command)
    if spec is None:
        raise UsageError(f"`{quoted(command)}` is not a factorybot command.")
    try:
        words = shlex.split(_straight_quotes(clean(text or "")))
    except ValueError:
        raise UsageError("A quote is not closed.") from None
    if not words:
        return ParsedCommand(spec, HELP, ())
    name = words[0].lower()
    sub = spec.find(name)
    if sub is None:
        known = [s.name for s in spec.subcommands]
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f" Did you mean `{command} {close[0]}`?" if close else ""
        raise UsageError(f"`{command} {quoted(words[0])}` is not something I know.{hint}")
    return ParsedCommand(spec, sub, tuple(words[1:]))


def _straight_quotes(text: str) -> str:
    """Slack clients turn typed quotes into curly ones; shlex only knows straight ones."""
    return text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))
