"""Starting a command: the settings, the database, Slack's variables — or one line and exit 2.

Shared by every ``factorybot`` command (:mod:`bot.runtime.cli`, :mod:`bot.runtime.cli_approvals`).
Heavy modules are imported inside the functions so ``factorybot --help`` stays fast.
"""

from __future__ import annotations

import errno
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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


def open_database(settings: Settings, *, auto_upgrade: bool = True, require_head: bool = True) -> Database:
    """Open the database, or stop with one line saying why it cannot be used.

    Every command that touches the database opens it here, so an unreachable server or a
    SQLite file in a missing folder reads the same everywhere.  ``auto_upgrade`` brings an
    embedded SQLite database to head; ``require_head`` refuses one the code is ahead of
    (``db upgrade`` and ``db current`` pass neither: they are how one gets there).
    """
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from storage.db import Database
    from storage.migrate import current_revision, head_revision, upgrade

    try:
        db = Database(settings.database_url)
        if db.is_sqlite and auto_upgrade:
            upgrade(db.engine)
        current = current_revision(db.engine)  # the first connection: an unreachable database stops here
    except (DBAPIError, ArgumentError) as exc:  # DBAPIError wraps psycopg's and sqlite3's own errors
        fail(f"DATABASE_URL: cannot open the database at {_shown_url(settings)} ({_database_reason(exc, settings)})")
    if require_head and current != head_revision():
        fail(
            f"the database is at revision {current or 'none'}, "
            f"the code needs {head_revision()}: run `factorybot db upgrade`"
        )
    return db


def _shown_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


def _database_reason(exc: Exception, settings: Settings) -> str:
    """The driver's own first line, or the missing folder SQLite only calls "unable to open"."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        folder = Path(url.database).resolve().parent
        if not folder.is_dir():
            return f"the folder {folder} does not exist"
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def require_slack(settings: Settings, *, socket_mode: bool = False, receiving: bool = True) -> None:
    """Stop unless Slack's variables are set; ``receiving=False`` (the scheduler) needs only the bot token."""
    missing = settings.missing_slack(socket_mode=socket_mode, receiving=receiving)
    if missing:
        fail(f"missing {', '.join(missing)}. {CREATE_APP_HINT}")


def slack_error(exc: Exception) -> str | None:
    """Slack's error code (``invalid_auth``, ``token_revoked``…) from Bolt's auth.test failure,
    which carries the answer only as text; ``None`` when the answer was not Slack's."""
    found = re.search(r"'error': '([a-z_]+)'", str(exc))
    return found.group(1) if found else None


def network_reason(exc: OSError) -> str:
    """"Connection refused", "timed out"…: the socket's reason, which urllib's URLError wraps."""
    reason = getattr(exc, "reason", exc)
    return getattr(reason, "strerror", None) or str(reason)


@contextmanager
def binding_port(port: int) -> Iterator[None]:
    """Around starting an HTTP server: a port already taken is one line naming it."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        fail(f"port {port} is already in use: stop what listens on it, or choose another with --port")
