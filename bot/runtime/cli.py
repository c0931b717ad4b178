"""The ``factorybot`` command line.

Heavy modules (Bolt, SQLAlchemy, MLflow) are imported inside each command so
``factorybot --help`` and ``factorybot config`` start fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.runtime.request_id import RequestIdFilter
from bot.runtime.startup import (
    binding_port,
    fail,
    network_reason,
    open_database,
    read_settings,
    require_slack,
    slack_error,
)

if TYPE_CHECKING:
    from bot.runtime.bootstrap import Bot
    from bot.runtime.settings import Settings
    from storage.db import Database

def _check_policy(settings: Settings) -> None:
    from bot.runtime.cli_approvals import check_policy_at_start

    check_policy_at_start(settings)


def _bootstrap(settings: Settings, db: Database) -> Bot:
    from bot.runtime.bootstrap import bootstrap

    return bootstrap(settings, db=db)


def _slack_app(bot: Bot) -> None:
    """Build the Bolt app now (it asks Slack who the token belongs to): a bad token, or a Slack
    still unreachable after the client's retries, stops here."""
    from bot.runtime.bootstrap import SlackRefused

    try:
        bot.check_slack()
    except SlackRefused as exc:
        if (code := slack_error(exc)) is None:
            fail(f"SLACK_API_URL: {bot.settings.slack_api_url} does not answer as Slack's Web API")
        fail(f"SLACK_BOT_TOKEN: Slack did not accept the token ({code})")
    except OSError as exc:  # urllib's URLError, timeouts
        fail(f"SLACK_API_URL: Slack could not be reached at {bot.settings.slack_api_url} ({network_reason(exc)})")


def _job_context(bot: Bot):  # noqa: ANN202 - jobs.JobContext, imported lazily
    from bot.runtime.metrics import count_job_run
    from jobs import JobContext

    return JobContext(services=bot.services, db=bot.db, run_listeners=(count_job_run,))


@contextmanager
def _running(bot: Bot) -> Iterator[None]:
    """The scheduler beside the web process, unless ``FACTORY_SCHEDULER=off`` — run by one replica
    at a time on PostgreSQL (:mod:`jobs.leader`); on the way out the scheduler lets a running job
    finish and the work accepted after acknowledgements is drained."""
    leader = None
    if bot.settings.scheduler != "off":
        from jobs.scheduler import scheduler_leader

        leader = scheduler_leader(
            _job_context(bot), zone=bot.settings.zone, retry_seconds=bot.settings.leader_retry_seconds
        )
        leader.start()
    try:
        yield
    finally:
        if leader is not None:
            leader.stop()
        bot.close()


def cmd_run(args: argparse.Namespace) -> None:
    settings = read_settings()
    socket_mode = settings.slack_app_token is not None
    require_slack(settings, socket_mode=socket_mode)
    _check_policy(settings)
    bot = _bootstrap(settings, open_database(settings, auto_upgrade=True))
    _slack_app(bot)
    bot.warm_up()
    with _running(bot):
        if socket_mode:
            logging.getLogger(__name__).info("connecting in Socket Mode")
            bot.serve_socket_mode(settings.slack_app_token.get_secret_value())
        else:
            _serve(bot.wsgi(), host=args.host, port=args.port, threads=args.threads)


def cmd_serve(args: argparse.Namespace) -> None:
    settings = read_settings()
    require_slack(settings, socket_mode=False)
    _check_policy(settings)
    bot = _bootstrap(settings, open_database(settings, auto_upgrade=True))
    _slack_app(bot)
    bot.warm_up()
    with _running(bot):
        _serve(bot.wsgi(), host=args.host, port=args.port, threads=args.threads)


def _serve(wsgi, *, host: str, port: int, threads: int) -> None:  # noqa: ANN001
    from bot.runtime.server import serve_forever

    with binding_port(port):
        serve_forever(wsgi, host=host, port=port, threads=threads)


def cmd_scheduler(args: argparse.Namespace) -> None:
    settings = read_settings()
    require_slack(settings, receiving=False)
    _check_policy(settings)
    bot = _bootstrap(settings, open_database(settings, auto_upgrade=True))
    from jobs.scheduler import run_scheduler_forever

    run_scheduler_forever(_job_context(bot), zone=settings.zone, retry_seconds=settings.leader_retry_seconds)


def cmd_jobs_list(args: argparse.Namespace) -> None:
    settings = read_settings()
    db = open_database(settings, auto_upgrade=True)
    from jobs.scheduler import format_jobs, list_jobs

    print(format_jobs(list_jobs(db, zone=settings.zone)))


def cmd_db_upgrade(args: argparse.Namespace) -> None:
    settings = read_settings()
    from storage.migrate import current_revision, upgrade

    db = open_database(settings, auto_upgrade=False, require_head=False)
    upgrade(db.engine, args.revision)
    print(f"database at revision {current_revision(db.engine)}")


def cmd_db_current(args: argparse.Namespace) -> None:
    settings = read_settings()
    from storage.migrate import current_revision, head_revision

    db = open_database(settings, auto_upgrade=False, require_head=False)
    print(f"current: {current_revision(db.engine) or 'none'}  head: {head_revision()}")


def cmd_mlflow_register_webhook(args: argparse.Namespace) -> None:
    """Create the MLflow webhook that sends registry events to ``factorybot serve``."""
    settings = read_settings()
    if settings.mlflow_webhook_secret is None:
        fail("MLFLOW_WEBHOOK_SECRET: expected the shared secret of the MLflow webhook (at least 16 characters)")
    from bot.models.gateway import MlflowError
    from bot.runtime.bootstrap import mlflow_gateway

    url = args.url.rstrip("/")
    if not url.endswith("/mlflow/webhook"):
        url += "/mlflow/webhook"
    try:
        webhook_id = mlflow_gateway(settings).create_webhook(
            name=args.name, url=url, secret=settings.mlflow_webhook_secret.get_secret_value(),
            events=["model_version.created", "model_version_alias.created"],
        )
    except MlflowError as exc:
        fail(f"MLFLOW_TRACKING_URI: {exc}")
    print(f"webhook {webhook_id} sends model_version.created and model_version_alias.created to {url}")


def cmd_config(args: argparse.Namespace) -> None:
    settings = read_settings()
    values = settings.masked()
    width = max(map(len, values))
    for name, value in values.items():
        print(f"{name.ljust(width)}  {value}")


def cmd_sandbox(args: argparse.Namespace) -> None:
    settings = read_settings()
    from bot.sandbox.console import run_sandbox

    raise SystemExit(run_sandbox(settings, port=args.port, state=args.state, fresh=args.fresh, script=args.script,
                                 tour=args.tour))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="factorybot",
        description="A Slack bot for the AI factory: guilds, mentoring, show-and-tell, approvals, models.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def http_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="0.0.0.0", help="address to listen on (default: 0.0.0.0)")
        p.add_argument("--port", type=int, default=3000, help="port to listen on (default: 3000)")
        p.add_argument("--threads", type=int, default=16, help="HTTP worker threads (default: 16)")

    p = sub.add_parser("run", help="start the bot: Socket Mode if SLACK_APP_TOKEN is set, else HTTP")
    http_options(p)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("serve", help="production HTTP server (POST /slack/events, GET /healthz)")
    http_options(p)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("scheduler", help="run the scheduled jobs alone")
    p.set_defaults(func=cmd_scheduler)

    jobs = sub.add_parser("jobs", help="scheduled jobs").add_subparsers(dest="jobs_command", required=True)
    jobs.add_parser("list", help="each job with its next run and last result").set_defaults(func=cmd_jobs_list)

    db = sub.add_parser("db", help="database migrations").add_subparsers(dest="db_command", required=True)
    p = db.add_parser("upgrade", help="apply migrations (default: to head)")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(func=cmd_db_upgrade)
    db.add_parser("current", help="show the current and the head revision").set_defaults(func=cmd_db_current)

    sub.add_parser("config", help="print the effective settings, secrets masked").set_defaults(func=cmd_config)
    mlflow = sub.add_parser("mlflow", help="MLflow integration").add_subparsers(dest="mlflow_command", required=True)
    p = mlflow.add_parser("register-webhook", help="create the MLflow webhook that feeds watched channels")
    p.add_argument("--url", required=True, help="the bot's public base URL, e.g. https://factorybot.example.com")
    p.add_argument("--name", default="factorybot", help="the webhook's name in MLflow (default: factorybot)")
    p.set_defaults(func=cmd_mlflow_register_webhook)
    p = sub.add_parser("sandbox", help="the real bot offline, with a local stand-in playing Slack (try it first)")
    p.add_argument("--port", type=int, default=3000, help="port to listen on (default: 3000; 0: any free port)")
    p.add_argument("--state", type=Path, default=Path("factorybot-sandbox"),
                   help="folder of the sandbox's database, MLflow store and policy (default: ./factorybot-sandbox)")
    p.add_argument("--fresh", action="store_true", help="forget the state folder's workspace and seed a new one")
    p.add_argument("--script", type=Path, help="replay this transcript (commands and `expect \"text\"` lines)")
    p.add_argument("--tour", action="store_true", help="replay the shipped tour slowly enough to watch, in a fresh workspace (STATE/tour)")
    p.set_defaults(func=cmd_sandbox)
    from bot.runtime.cli_approvals import add_commands as add_approval_commands

    add_approval_commands(sub)
    return parser


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


# Bolt reads SLACK_BOT_TOKEN from the environment even when given a client, then warns that
# the token "will be unused": the bot's own client, built from that same variable, is used.
_BOLT_TOKEN_UNUSED = "As you gave `client` as well, `token` will be unused."


def configure_logging() -> None:
    """INFO for what the operator acts on; routine third-party lines stay out.

    ``FACTORY_LOG_FORMAT=json`` (read from the environment: logging starts before the settings)
    writes one JSON object a line for a log pipeline, with the ``request_id`` of the Slack
    request each line belongs to (:mod:`bot.runtime.request_id`).

    APScheduler logs every job added, started and finished at INFO (one job runs each
    minute): only its warnings (missed runs) and errors (a job that raised) are shown, and
    each job's last result is in ``factorybot jobs list``."""
    log_format = os.environ.get("FACTORY_LOG_FORMAT", "text").strip().lower() or "text"
    if log_format not in ("text", "json"):
        fail(f"FACTORY_LOG_FORMAT: expected text or json, got {log_format!r}")
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        ))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("factorybot.bolt").addFilter(lambda record: record.getMessage() != _BOLT_TOKEN_UNUSED)


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # so `finally` blocks run: the scheduler stops cleanly
    configure_logging()
    args.func(args)


if __name__ == "__main__":
    main()
