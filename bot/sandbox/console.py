"""``factorybot sandbox``: the real bot, offline, with the Slack stand-in playing Slack.

The app, the HTTP server and the database are the production ones on the embedded
defaults (the scheduler is left off: nothing runs unasked); only Slack is replaced by :class:`bot.sandbox.SlackStandIn` on
loopback.  Each line typed is sent as Slack would send it (a signed slash command or
an App Home event) and the answer, plus every Web API call the bot made, is printed as
plain text.  Without a terminal it just serves until stopped, so it also works as a
local target for curl or a load generator.
"""

from __future__ import annotations

import secrets
import shlex
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

from bot.runtime.settings import Settings

SANDBOX_USER = "U0SANDBOX1"
SANDBOX_TOKEN = "xoxb-sandbox-0000-offline"

INTRO = """factorybot sandbox — the real bot on {url}/slack/events, Slack played by a local stand-in.
You are {user} (an admin). Type a slash command such as `/factory help` or `/guild help`,
`home` to open the App Home tab, `calls` to list every Web API call so far, or `quit`."""


def run_sandbox(settings: Settings, *, port: int, interactive: bool | None = None, out: TextIO = sys.stdout) -> None:
    from bot.runtime.bootstrap import bootstrap
    from bot.runtime.server import start_in_thread
    from bot.runtime.startup import binding_port, open_database
    from bot.sandbox import SlackRequestBuilder, SlackStandIn

    secret = secrets.token_hex(16)
    db = open_database(settings)  # what cannot be opened is one line, as for every command
    with SlackStandIn() as slack:
        slack.add_user(SANDBOX_USER, name="you", tz=settings.timezone)
        sandbox = settings.model_copy(
            update={
                "slack_bot_token": _secret(SANDBOX_TOKEN),
                "slack_signing_secret": _secret(secret),
                "slack_api_url": slack.api_url,
                "admins": tuple({*settings.admins, SANDBOX_USER}),
            }
        )
        bot = bootstrap(sandbox, db=db)
        with binding_port(port):
            server = start_in_thread(bot.wsgi(), port=port)
        builder = SlackRequestBuilder(
            signing_secret=secret, url=f"{server.url}/slack/events", response_url_base=slack.response_url("")
        )
        try:
            print(INTRO.format(url=server.url, user=SANDBOX_USER), file=out)
            if interactive if interactive is not None else sys.stdin.isatty():
                _repl(builder, slack, out, drain=bot.after_ack.drain)
            else:
                print(f"signing secret for this run: {secret}", file=out)
                threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            bot.close()


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)


def _repl(builder: Any, slack: Any, out: TextIO, *, drain: Callable[[], object]) -> None:
    while True:
        try:
            line = input("factorybot> ").strip()
        except EOFError:
            return
        if line in ("quit", "exit"):
            return
        print(answer(line, builder, slack, drain=drain), file=out)


def answer(line: str, builder: Any, slack: Any, *, drain: Callable[[], object]) -> str:
    """Send one typed line as Slack would, and render what came back as plain text.

    ``drain`` waits for the work the bot does after acknowledging, so every Web API call
    the line caused is shown with it."""
    if not line:
        return ""
    if line == "calls":
        return "\n".join(f"{c.method} ok={c.ok}" for c in slack.calls()) or "(no Web API calls yet)"
    before = len(slack.calls())  # everything the bot asks of Slack from here on is shown
    replies = len(slack.calls("response_url"))
    if line == "home":
        published = len(slack.calls("views.publish"))
        builder.event({"type": "app_home_opened", "user": SANDBOX_USER, "tab": "home", "channel": "D0SANDBOX"})
        try:  # Slack's events are acknowledged before their listener runs: wait for its call
            slack.wait_for("views.publish", count=published + 1, timeout=10)
        except AssertionError:
            return "(App Home was not published within 10 s)"
        reply = ""
    elif line.startswith("/"):
        command, _, text = line.partition(" ")
        resp = builder.slash_command(command, text, user_id=SANDBOX_USER, channel_id="C0SANDBOX")
        if resp.status_code != 200:
            return f"(HTTP {resp.status_code}) {resp.text}"
        if resp.content:
            reply = render_text(resp.json())
        else:  # acknowledged at once, answered after slow work (MLflow…) through response_url
            drain()
            answers = slack.calls("response_url")[replies:]
            reply = render_text(answers[0].params) if answers else "(no answer)"
    else:
        return f"Not a slash command: {shlex.quote(line)}. Try /factory help, home, calls or quit."
    drain()  # the Web API calls made after the ack belong to this line too
    calls = [c for c in slack.calls()[before:] if c.method != "response_url"]
    shown = [reply] + [f"[{c.method}]\n{render_text(c.params)}" for c in calls]
    return "\n".join(s for s in shown if s)


def render_text(payload: dict[str, Any]) -> str:
    """Block Kit to plain text, for a terminal."""
    blocks = payload.get("blocks") or (payload.get("view") or {}).get("blocks") or []
    if not blocks:
        return str(payload.get("text", ""))
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "divider":
            lines.append("-" * 40)
        elif kind == "header":
            lines.append(block["text"]["text"].upper())
        elif kind == "actions":
            lines.append("  ".join(f"[{e.get('text', {}).get('text', e.get('action_id'))}]" for e in block["elements"]))
        elif kind == "context":
            lines.append(" ".join(e.get("text", "") for e in block["elements"]))
        else:
            if block.get("text"):
                lines.append(block["text"]["text"])
            lines.extend(f.get("text", "") for f in block.get("fields", []))
    return "\n".join(lines)
