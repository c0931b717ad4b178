"""``factorybot sandbox``: the real bot, offline, with the Slack stand-in playing Slack.

The app, the HTTP server and the database are the production ones on the embedded
defaults (the scheduler is left off: a sandbox should not send digests); only Slack is replaced by :class:`bot.sandbox.SlackStandIn` on
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
import time
from typing import Any, TextIO

from bot.runtime.settings import Settings

SANDBOX_USER = "U0SANDBOX1"
SANDBOX_TOKEN = "xoxb-sandbox-0000-offline"

INTRO = """factorybot sandbox — the real bot on {url}/slack/events, Slack played by a local stand-in.
You are {user} (an admin). Type a slash command such as `/factory help` or `/guild help`,
`home` to open the App Home tab, `calls` to list every Web API call so far, or `quit`."""


def run_sandbox(settings: Settings, *, port: int, interactive: bool | None = None, out: TextIO = sys.stdout) -> None:
    from bot.runtime.bootstrap import build_wsgi
    from bot.runtime.server import start_in_thread
    from bot.sandbox import SlackRequestBuilder, SlackStandIn
    from storage.db import Database
    from storage.migrate import upgrade

    secret = secrets.token_hex(16)
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
        db = Database(sandbox.database_url)
        upgrade(db.engine)
        server = start_in_thread(build_wsgi(sandbox, db=db), port=port)
        builder = SlackRequestBuilder(
            signing_secret=secret, url=f"{server.url}/slack/events", response_url_base=slack.response_url("")
        )
        try:
            print(INTRO.format(url=server.url, user=SANDBOX_USER), file=out)
            if interactive if interactive is not None else sys.stdin.isatty():
                _repl(builder, slack, out)
            else:
                print(f"signing secret for this run: {secret}", file=out)
                threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)


def _repl(builder: Any, slack: Any, out: TextIO) -> None:
    while True:
        try:
            line = input("factorybot> ").strip()
        except EOFError:
            return
        if line in ("quit", "exit"):
            return
        print(answer(line, builder, slack), file=out)


def answer(line: str, builder: Any, slack: Any) -> str:
    """Send one typed line as Slack would, and render what came back as plain text."""
    if not line:
        return ""
    if line == "calls":
        return "\n".join(f"{c.method} ok={c.ok}" for c in slack.calls()) or "(no Web API calls yet)"
    before = len(slack.calls())  # everything the bot asks of Slack from here on is shown
    replies = len(slack.calls("response_url"))
    if line == "home":
        builder.event({"type": "app_home_opened", "user": SANDBOX_USER, "tab": "home", "channel": "D0SANDBOX"})
        reply = ""
    elif line.startswith("/"):
        command, _, text = line.partition(" ")
        resp = builder.slash_command(command, text, user_id=SANDBOX_USER, channel_id="C0SANDBOX")
        if resp.status_code != 200:
            return f"(HTTP {resp.status_code}) {resp.text}"
        if resp.content:
            reply = render_text(resp.json())
        else:  # acknowledged at once, answered after slow work (MLflow…) through response_url
            try:
                reply = render_text(slack.wait_for("response_url", count=replies + 1, timeout=60)[replies].params)
            except AssertionError:
                reply = "(no answer within 60 s)"
    else:
        return f"Not a slash command: {shlex.quote(line)}. Try /factory help, home, calls or quit."
    time.sleep(0.3)  # let listeners that run after the ack make their Web API calls
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
