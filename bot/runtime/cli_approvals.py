"""``factorybot policy check FILE`` and ``factorybot approvals export``, wired into :mod:`bot.runtime.cli`.

Kept apart from the CLI module so adding them there is two lines; heavy imports happen
inside the commands, so ``factorybot --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.approvals.policy import Policy
    from bot.runtime.settings import Settings


def check_policy_at_start(settings: Settings) -> Policy:
    """Load ``FACTORY_POLICY_FILE`` (or the built-in policy) before anything starts: a broken file
    stops start-up with ``factorybot: FACTORY_POLICY_FILE: <file>:<line>: <reason>``, exit 2."""
    import logging

    from bot.runtime.startup import fail
    from bot.approvals.policy import PolicyError
    from bot.approvals.policy_file import load_policy
    from bot.approvals.policy_file import policy_warnings

    try:
        policy = load_policy(settings.policy_file, admins=settings.admins)
    except PolicyError as exc:
        fail(f"FACTORY_POLICY_FILE: {exc}")
    for warning in policy_warnings(policy):
        logging.getLogger("factorybot.policy").warning("approval policy %s: %s", policy.source, warning)
    return policy


def cmd_policy_check(args: argparse.Namespace) -> None:
    from bot.runtime.startup import EXIT_CONFIG, read_settings
    from bot.approvals.policy import PolicyError
    from bot.approvals.policy_file import load_policy
    from bot.approvals.policy_file import explain_policy

    settings = read_settings()  # FACTORY_ADMINS stands behind $FACTORY_ADMINS
    try:
        policy = load_policy(args.file, admins=settings.admins)
    except PolicyError as exc:
        for line in exc.lines():
            print(f"factorybot: {line}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    print(explain_policy(policy))


def cmd_approvals_export(args: argparse.Namespace) -> None:
    from bot.approvals.reports import format_export
    from bot.runtime.bootstrap import bootstrap
    from bot.runtime.startup import open_database, read_settings

    settings = read_settings()
    reports = bootstrap(settings, db=open_database(settings, auto_upgrade=True)).services.approval_reports
    text = format_export(reports.export_rows(since=args.since, until=args.until), args.format)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _date(text: str) -> datetime:
    """``2026-11-01`` or an ISO date-time; without a zone it is UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def add_commands(sub: Any) -> None:
    """Add ``policy check`` and ``approvals export`` to the CLI's subcommands."""
    policy = sub.add_parser("policy", help="the approval policy").add_subparsers(dest="policy_command", required=True)
    p = policy.add_parser("check", help="validate a policy file and explain what it will do")
    p.add_argument("file", help="the policy YAML file")
    p.set_defaults(func=cmd_policy_check)

    approvals = sub.add_parser("approvals", help="approval requests").add_subparsers(
        dest="approvals_command", required=True
    )
    p = approvals.add_parser("export", help="the audit trail for auditors: one row per event")
    p.add_argument("--since", type=_date, required=True, help="events from this date (YYYY-MM-DD, UTC)")
    p.add_argument("--until", type=_date, default=None, help="events before this date (default: now)")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default: csv)")
    p.add_argument("--output", default=None, help="write to this file instead of standard output")
    p.set_defaults(func=cmd_approvals_export)
