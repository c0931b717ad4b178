"""``factorybot policy check``, ``factorybot approvals export`` and a broken policy at start-up, as real processes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from bot.runtime.bootstrap import bootstrap
from tests.e2e.approval_helpers import CountingExecutor
from bot.runtime.settings import load_settings
from storage.db import Database
from tests.e2e.conftest import ADMIN, BOT_TOKEN, MEMBER, SIGNING_SECRET
from tests.e2e.test_cli import _run

BROKEN = """version: 1
groups:
  admins: $FACTORY_ADMINS
request_types:
  - id: model_deployment
    label: Model deployment
tiers:
  low: {auto_approve: true}
  medium:
    approvers: [admins, security]
  high: {approvals: 1, approvers: [admins]}
"""


def test_policy_check_explains_a_valid_policy(tmp_path: Path) -> None:
    default = Path(__file__).resolve().parents[2] / "bot" / "approvals" / "default_policy.yml"
    proc = _run("policy", "check", str(default), env={"FACTORY_ADMINS": ADMIN}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "default_policy.yml: valid." in out
    assert f"admins: {ADMIN}" in out
    assert "“production deployment”: type is model_deployment, alias = production → medium" in out
    assert "low: approved at once by the policy" in out
    assert "medium: 1 approval from admins" in out


def test_policy_check_names_the_line_and_the_reason(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text(BROKEN)
    proc = _run("policy", "check", str(policy), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"factorybot: {policy}:9: tiers.medium: unknown group 'security' (groups: admins)"
    ]


@pytest.mark.parametrize("command", ["serve", "run"])
def test_a_broken_policy_file_stops_start_up_with_one_line(tmp_path: Path, command: str) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text(BROKEN.replace("low: {auto_approve: true}", "low: {auto_approve: maybe}"))
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "FACTORY_POLICY_FILE": str(policy)}
    proc = _run(command, "--port", "0", env=env, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"factorybot: FACTORY_POLICY_FILE: {policy}:8: tiers.low.auto_approve: "
        "Input should be a valid boolean, unable to interpret input"
    ]


def test_approvals_export_writes_the_audit_trail_as_csv_and_json(tmp_path: Path, database_url: str, database: Database) -> None:
    settings = load_settings(DATABASE_URL=database_url, FACTORY_ADMINS=ADMIN)
    services = bootstrap(settings, db=database, executor=CountingExecutor()).services
    filed = services.approvals.file_request(requester=MEMBER, type_id="model_deployment", source="command",
                                   fields={"model": "churn", "version": "3"}, answers={})
    services.approvals.decide(request_id=filed.request.id, approver=ADMIN, verdict="reject", reason="not yet, sorry")
    env = {"DATABASE_URL": database_url}

    proc = _run("approvals", "export", "--since", "2020-01-01", "--format", "csv", env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [(r["request"], r["event"], r["actor"], r["status"]) for r in rows] == [
        ("AR-1", "requested", MEMBER, "rejected"), ("AR-1", "rejected", ADMIN, "rejected")]
    assert rows[1]["reason"] == "not yet, sorry" and json.loads(rows[0]["fields"])["model"] == "churn"

    out = tmp_path / "audit.json"
    proc = _run("approvals", "export", "--since", "2020-01-01", "--format", "json", "--output", str(out),
                env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [e["event"] for e in json.loads(out.read_text())] == ["requested", "rejected"]

    proc = _run("approvals", "export", "--since", "2999-01-01", "--format", "json", env=env, cwd=tmp_path)
    assert json.loads(proc.stdout) == []


def test_approvals_export_refuses_a_date_it_cannot_read(tmp_path: Path) -> None:
    proc = _run("approvals", "export", "--since", "last tuesday", cwd=tmp_path)
    assert proc.returncode == 2
    assert "not a date: 'last tuesday' (use YYYY-MM-DD)" in proc.stderr
