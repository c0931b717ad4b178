"""``factorybot sandbox``: the real bot, offline, in a demo workspace, with a local stand-in playing Slack.

The app, the HTTP server and the database are the production ones (the scheduler is left
off: nothing runs unasked); only Slack is replaced by :class:`bot.sandbox.SlackStandIn` on
loopback.  Everything lives in a state folder named at start — the bot's SQLite database,
an embedded MLflow store and the approval policy — so a second start resumes and
``--fresh`` starts over; the production database and a real Slack are never touched.
Lines come from the terminal, from standard input or from a script (:mod:`bot.sandbox.script`).
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.sandbox import workspace

if TYPE_CHECKING:
    from bot.runtime.settings import Settings
    from bot.sandbox.session import Session

SANDBOX_TOKEN = "xoxb-sandbox-0000-offline"
TOUR_PAUSE = 0.8  # seconds after each line of the tour
STATE_FILES = ("factorybot.db", "mlflow.db", "policy.yml", ".seeded")

INTRO = """factorybot sandbox — the real bot on {url}/slack/events, Slack played by a local stand-in.
State: {state} ({how}).  You are @{me} (an admin), typing in #general.
Type `help`, a slash command such as `/factory help`, `who`, `/as @maria`, `click 1`, or `quit`."""


def run_sandbox(settings: Settings, *, port: int, state: Path, fresh: bool = False, script: Path | None = None,
                tour: bool = False, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    """Start the bot in the sandbox, read lines until the end, and return the exit status.

    ``tour`` replays the shipped tour with a pause after each line, for a person to watch, in
    a fresh workspace of its own (``STATE/tour``): the one at ``state`` is left as it is."""
    from bot.sandbox.script import interact, replay, tour_script

    if tour:
        script, state, fresh = tour_script(), state / "tour", True
    if script is not None and not script.is_file():
        from bot.runtime.startup import fail

        fail(f"--script: there is no file at {script}")
    _quiet_logs()  # the sandbox's own process only: tests keep their logging
    with sandbox_session(settings, port=port, state=state, fresh=fresh, out=out) as session:
        if script is not None:
            lines = script.read_text(encoding="utf-8").splitlines()
            return replay(session, lines, out=out, pause=TOUR_PAUSE if tour else 0.0)
        interact(session, stdin, out=out)
        return 0


@contextmanager
def sandbox_session(settings: Settings, *, port: int, state: Path, fresh: bool, out: TextIO) -> Iterator[Session]:
    """The bot on the demo workspace, and a :class:`Session` for the admin at its prompt."""
    from bot.runtime.bootstrap import bootstrap, mlflow_gateway
    from bot.runtime.cli_approvals import check_policy_at_start
    from bot.runtime.server import start_in_thread
    from bot.runtime.startup import binding_port, open_database
    from bot.sandbox import SlackRequestBuilder, SlackStandIn
    from bot.sandbox.session import Session

    seeded = _prepare(state, fresh=fresh)
    secret = secrets.token_hex(16)
    with SlackStandIn() as slack:
        workspace.furnish(slack)
        sandbox = _sandbox_settings(settings, state, slack_api_url=slack.api_url, secret=secret)
        policy = check_policy_at_start(sandbox)  # a broken FACTORY_POLICY_FILE stops here, with its line
        mlflow = mlflow_gateway(sandbox)
        bot = bootstrap(sandbox, db=open_database(sandbox), policy=policy, mlflow=mlflow)
        with binding_port(port):  # before seeding: a port in use stops the start at once
            server = start_in_thread(bot.wsgi(), port=port)
        try:
            if not seeded:
                print(f"Seeding the demo workspace in {state} (the first start takes a few seconds)…", file=out)
                workspace.seed(bot.services, mlflow, state=str(state.resolve()))
                (state / ".seeded").write_text("seeded through the bot's services\n", encoding="utf-8")
            with SlackRequestBuilder(signing_secret=secret, url=f"{server.url}/slack/events",
                                     response_url_base=slack.response_url("")) as builder:
                print(INTRO.format(url=server.url, state=state, how="resumed" if seeded else "new",
                                   me=workspace.ADMIN.name), file=out)
                yield Session(builder, slack, drain=bot.drain, me=workspace.ADMIN.user_id, where=workspace.GENERAL,
                              people={p.name: p.user_id for p in workspace.PEOPLE},
                              channels={c.name: c.channel_id for c in workspace.CHANNELS},
                              about={p.user_id: f"{p.real_name} · {p.role} · {p.tz}" for p in workspace.PEOPLE})
        finally:
            server.stop()
            bot.close()


def _prepare(state: Path, *, fresh: bool) -> bool:
    """Create the state folder; with ``fresh`` (or a seeding that never finished) forget its
    files.  Return whether the workspace is already seeded."""
    from bot.runtime.startup import fail

    try:
        state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--state: cannot use {state} as the sandbox's folder ({exc.strerror})")
    if fresh or not (state / ".seeded").exists():
        for name in STATE_FILES:
            (state / name).unlink(missing_ok=True)
        return False
    return True


def _sandbox_settings(settings: Settings, state: Path, *, slack_api_url: str, secret: str) -> Settings:
    from pydantic import SecretStr

    from bot.approvals.policy_file import default_policy_text

    policy_file = settings.policy_file
    if policy_file is None:
        policy_file = state / "policy.yml"
        policy_file.write_text(workspace.policy_text(default_policy_text()), encoding="utf-8")
    return settings.model_copy(update={
        "slack_bot_token": SecretStr(SANDBOX_TOKEN),
        "slack_signing_secret": SecretStr(secret),
        "slack_api_url": slack_api_url,
        "database_url": f"sqlite:///{(state / 'factorybot.db').resolve()}",
        "mlflow_tracking_uri": f"sqlite:///{(state / 'mlflow.db').resolve()}",
        "admins": tuple({*settings.admins, workspace.ADMIN.user_id}),
        "policy_file": policy_file,
        "scheduler": "off",
        "openai_api_key": None,
        "openai_base_url": None,
    })


def _quiet_logs() -> None:
    """Keep the prompt readable: warnings only, MLflow's INFO lines included."""
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("mlflow", "alembic", "factorybot"):
        logging.getLogger(name).setLevel(logging.WARNING)
