"""Starting a command: the settings, the database, Slack's variables — or one line and exit 2.

Shared by every ``factorybot`` command (:mod:`bot.runtime.cli`, :mod:`bot.runtime.cli_approvals`).
Heavy modules are imported inside the functions so ``factorybot --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from bot.runtime.settings import Settings
    from storage.db import Database

EXIT_CONFIG = 2

CREATE_APP_HINT = (
    "Create the Slack app from manifest.yml (https://api.slack.com/apps -> Create New App -> "
    "From an app manifest), install it to your workspace, then export SLACK_BOT_TOKEN "
    "(OAuth & Permissions), SLACK_SIGNING_SECRET (Basic Information) and, for Socket Mode, "
    "SLACK_APP_TOKEN (an app-level token with connections:write). "
    "To try the bot without Slack first: factorybot sandbox"
)


def fail(message: str) -> NoReturn:
    print(f"factorybot: {message}", file=sys.stderr)
    raise SystemExit(EXIT_CONFIG)


def read_settings() -> Settings:
    from bot.runtime.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc))


def open_database(settings: Settings, *, auto_upgrade: bool) -> Database:
    """Open the database; upgrade an embedded SQLite one, refuse an outdated server one."""
    from sqlalchemy.exc import OperationalError

    from storage.db import Database
    from storage.migrate import current_revision, head_revision, upgrade

    db = Database(settings.database_url)
    try:
        if db.is_sqlite and auto_upgrade:
            upgrade(db.engine)
        elif current_revision(db.engine) != head_revision():
            fail(
                f"the database is at revision {current_revision(db.engine) or 'none'}, "
                f"the code needs {head_revision()}: run `factorybot db upgrade`"
            )
    except OperationalError as exc:
        fail(f"DATABASE_URL: cannot open the database ({exc.orig.__class__.__name__})")
    return db


def require_slack(settings: Settings, *, socket_mode: bool) -> None:
    missing = settings.missing_slack(socket_mode=socket_mode)
    if missing:
        fail(f"missing {', '.join(missing)}. {CREATE_APP_HINT}")


def slack_reason(exc: Exception) -> str:
    text = str(exc)
    for reason in ("invalid_auth", "not_authed", "account_inactive", "token_revoked"):
        if reason in text:
            return reason
    return "Slack could not be reached at SLACK_API_URL"
