"""Time to compute every guild's flywheel digest and the org-wide one, and the SQL it takes.

A year of activity from a fixed seed: 500 guilds (a tenth created during the year), 50,000
members in one to three guilds each (a tenth of memberships ended), 1,000,000 activity
rows — approvals with hours to decision and tiers, SLA breaches, model versions and
deployments, joins and leaves, mentoring matches and check-ins, show-and-tell talks,
kudos and links; person-level events (check-ins, kudos, profiles) carry no guild and
count for every guild the person was in.  Seeded by bulk inserts through ``storage``'s
tables, on a migrated database: a SQLite file, and PostgreSQL (``--postgres URL``, or the
test server when it answers) in a fresh schema dropped at the end.

Measured: :meth:`bot.digest.service.DigestService.digests` for the last full week, every
open guild and the org at once (median of 3 wall-clock runs), and the SQL statements one
run issues (SQLAlchemy's ``before_cursor_execute``), which must not grow with the guilds.

    .venv/bin/python benchmarks/digest.py [--quick] [--postgres URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert, text  # noqa: E402

from bot.digest.service import DigestService  # noqa: E402
from bot.digest.weeks import IsoWeek  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.guilds import Guild, Membership  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import ActivityEvent, Member  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)  # a Monday: the digest is about the week before
YEAR = timedelta(days=365)
CHUNK = 10_000
TARGETS = {"sqlite_seconds": {"max": 1.0}, "sqlite_statements": {"max": 20}}

# kind, share of rows, whether it names the guild, extra figures
KINDS: list[tuple[str, float, bool]] = [
    ("approval.requested", 0.08, True), ("approval.approved", 0.05, True), ("approval.auto_approved", 0.02, True),
    ("approval.rejected", 0.01, True), ("approval.sla_breached", 0.005, True), ("model.version_registered", 0.06, True),
    ("model.deployed", 0.04, True), ("model.alias_set", 0.02, True), ("model.rolled_back", 0.005, True),
    ("guild.joined", 0.08, True), ("guild.left", 0.01, True), ("mentoring.matched", 0.05, True),
    ("mentoring.checkin_answered", 0.12, False), ("showtell.kudos", 0.14, False),
    ("showtell.link_shared", 0.05, False), ("showtell.talk_held", 0.03, True), ("showtell.session_held", 0.02, True),
    ("showtell.session_scheduled", 0.02, True), ("member.profile_updated", 0.16, False),
]


class _NoPublisher:
    def publish(self, channel_id: str, digest: Any, *, narrative: str, chart: bytes | None) -> str:
        raise AssertionError("the benchmark posts nothing")


def _figures(kind: str, rng: random.Random) -> dict[str, Any]:
    if kind in ("approval.approved", "approval.auto_approved", "approval.rejected"):
        return {"hours_to_decision": round(rng.expovariate(1 / 20), 2)}
    if kind == "approval.requested":
        return {"tier": rng.choice(("low", "low", "medium", "high"))}
    if kind in ("model.deployed", "model.alias_set"):
        return {"alias": rng.choice(("production", "staging"))}
    if kind == "mentoring.checkin_answered":
        return {"answer": rng.choice(("yes", "yes", "no"))}
    return {}


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(db: Database, *, guilds: int, members: int, rows: int) -> None:
    """The generated year, by bulk inserts (executemany) in chunks, in one transaction per table."""
    rng = random.Random(12)
    start = NOW - YEAR
    created = [start - timedelta(days=30) if i % 10 else start + timedelta(days=rng.uniform(0, 360))
               for i in range(guilds)]  # every tenth guild is created during the year
    slugs = [f"guild-{i:04d}" for i in range(guilds)]
    people = [f"U{i:08d}" for i in range(members)]
    memberships = []
    for person in people:
        for g in rng.sample(range(guilds), rng.randint(1, 3)):
            joined = max(created[g], start + timedelta(days=rng.uniform(-60, 300)))
            left = joined + timedelta(days=rng.uniform(5, 200)) if rng.random() < 0.1 else None
            memberships.append({"guild_id": g + 1, "member_id": person, "joined_at": joined, "left_at": left})
    kinds, weights, named = zip(*KINDS, strict=True)

    def events() -> Iterator[dict[str, Any]]:
        """In time order, as the bot appends to the log."""
        for seconds in sorted(rng.uniform(0, YEAR.total_seconds()) for _ in range(rows)):
            at, g = start + timedelta(seconds=seconds), rng.randrange(guilds)
            k = rng.choices(range(len(kinds)), weights)[0]
            if created[g] > at:  # not there yet: the next guild, one of those that always were
                g += 1
            yield {"at": at, "actor": rng.choice(people),
                   "guild": slugs[g] if named[k] else None, "kind": kinds[k], "subject": f"s{rng.randrange(rows // 4)}",
                   "figures": _figures(kinds[k], rng)}

    tables = [
        (Guild, [{"id": i + 1, "slug": slugs[i], "name": f"Guild {i}", "channel_id": f"C{i:08d}",
                  "created_by": people[0], "created_at": created[i]} for i in range(guilds)]),
        (Member, [{"slack_id": p, "name": p} for p in people]),
        (Membership, memberships),
        (ActivityEvent, events()),
    ]
    for table, table_rows in tables:
        with db.engine.begin() as conn:
            for batch in _chunks(iter(table_rows)):
                conn.execute(insert(table), batch)
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("SELECT setval('guilds_id_seq', :n)"), {"n": guilds})
            conn.execute(text("ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def measure(db: Database, *, runs: int = 3) -> tuple[float, int, int]:
    """Median seconds of computing every digest of the last full week, statements per run, digests made."""
    service = DigestService(db, zone=ZONE, publisher=_NoPublisher(), org_channel="C0RGWIDE", clock=lambda: NOW)
    week = IsoWeek.of(NOW, ZONE).shift(-1)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    seconds, made = [], 0
    try:
        for _ in range(runs):
            statements.clear()
            began = time.perf_counter()
            made = len(service.digests(week, guilds=True, org=True))
            seconds.append(time.perf_counter() - began)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return round(statistics.median(seconds), 3), len(statements), made


def run(name: str, db: Database, size: dict[str, int]) -> dict[str, Any]:
    began = time.perf_counter()
    upgrade(db.engine)
    seed(db, **size)
    seeded = time.perf_counter() - began
    seconds, statements, made = measure(db)
    print(f"{name}: seeded in {seeded:.1f} s; {made} digests ({size['guilds']} guilds + the org) "
          f"in {seconds} s (median of 3), {statements} SQL statements a run")
    return {f"{name}_seconds": seconds, f"{name}_statements": statements, f"{name}_digests": made,
            f"{name}_seed_seconds": round(seeded, 1)}


@contextmanager
def postgres_schema(url: str) -> Iterator[Database | None]:
    """A fresh schema on ``url`` for the run, dropped after; None when the server does not answer."""
    admin = Database(url)
    try:
        admin.ping()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means: no PostgreSQL run
        print(f"postgres: skipped, {url} does not answer ({type(exc).__name__})")
        yield None
        return
    schema = f"digest_bench_{uuid.uuid4().hex[:8]}"
    with admin.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield db
    finally:
        db.dispose()
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="50 guilds, 5,000 members, 100,000 rows")
    parser.add_argument("--postgres", default=POSTGRES, help="a PostgreSQL URL (default: the test server)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    size = ({"guilds": 50, "members": 5_000, "rows": 100_000} if args.quick
            else {"guilds": 500, "members": 50_000, "rows": 1_000_000})
    print(f"{size['guilds']:,} guilds, {size['members']:,} members, {size['rows']:,} activity rows over a year")
    figures: dict[str, Any] = {"size": size}
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/digest.db")
        figures |= run("sqlite", db, size)
        db.dispose()
    if not args.no_postgres:
        with postgres_schema(args.postgres) as pg:
            if pg is not None:
                figures |= run("postgres", pg, size)
    print(json.dumps({"benchmark": "digest", **figures, "targets": TARGETS}))


if __name__ == "__main__":
    main()
