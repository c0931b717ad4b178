"""Posting digests exactly once per (channel, ISO week), against a real database."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest.figures import Digest
from bot.digest.ports import DigestNotPosted
from bot.digest.service import DigestService
from storage import digest as store
from storage.db import Database
from storage.guilds import add_guild

PARIS = ZoneInfo("Europe/Paris")
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)  # the slot of week 2026-W48's digests
ORG_CHANNEL = "C0LEADERS"


@dataclass
class RecordingPublisher:
    posts: list[tuple[str, str, bool]] = field(default_factory=list)  # channel, week, with a chart
    failures: list[str] = field(default_factory=list)  # errors to raise, one per call
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, channel_id: str, digest: Digest, *, narrative: str, chart: bytes | None) -> str:
        time.sleep(self.delay)
        with self.lock:
            if self.failures:
                raise DigestNotPosted(self.failures.pop(0))
            self.posts.append((channel_id, digest.week.label, chart is not None))
            return f"1700000000.{len(self.posts):06d}"


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def guilds(database: Database) -> None:
    with database.unit_of_work() as uow:
        for slug in ("mlops", "llm"):
            add_guild(uow.session, slug=slug, name=slug.upper(), description="", channel_id=f"C0{slug.upper()}",
                      created_by="U0ADMIN", at=datetime(2026, 1, 1, tzinfo=PARIS))
        uow.commit()


def service(database: Database, publisher: RecordingPublisher, org_channel: str | None = ORG_CHANNEL) -> DigestService:
    return DigestService(database, zone=PARIS, publisher=publisher, org_channel=org_channel)


def ledger(database: Database, week: str = "2026-W48") -> dict[str, tuple[str, int]]:
    with database.unit_of_work() as uow:
        return {c: (p.status, p.attempts) for c, p in store.posts_of_week(uow.session, week).items()}


@pytest.mark.usefixtures("guilds")
def test_a_second_run_posts_nothing_again(database: Database, publisher: RecordingPublisher) -> None:
    digests = service(database, publisher)
    first = digests.send_due(now=MONDAY_9)
    second = digests.send_due(now=MONDAY_9 + timedelta(hours=1))
    assert sorted(publisher.posts) == [
        ("C0LEADERS", "2026-W48", True), ("C0LLM", "2026-W48", False), ("C0MLOPS", "2026-W48", False),
    ]
    assert (str(first), str(second)) == ("2026-W48: 3 posted", "2026-W48: nothing due")
    assert set(ledger(database).values()) == {("posted", 1)}


@pytest.mark.usefixtures("guilds")
def test_two_schedulers_racing_post_once(database_url: str, publisher: RecordingPublisher) -> None:
    publisher.delay = 0.2  # both are past their reads before either posts
    databases = [Database(database_url), Database(database_url)]
    runners = [threading.Thread(target=service(db, publisher).send_due, kwargs={"now": MONDAY_9}) for db in databases]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(30)
    for db in databases:
        db.dispose()
    assert sorted(channel for channel, _, _ in publisher.posts) == ["C0LEADERS", "C0LLM", "C0MLOPS"]


@pytest.mark.usefixtures("guilds")
def test_a_sender_that_died_after_claiming_is_replaced_after_the_lease(
    database: Database, publisher: RecordingPublisher
) -> None:
    with database.unit_of_work() as uow:  # a crash between the claim and the post
        store.claim_post(uow.session, channel_id="C0MLOPS", week="2026-W48", scope="mlops", now=MONDAY_9)
        uow.commit()
    digests = service(database, publisher, org_channel=None)
    digests.send_due(now=MONDAY_9 + timedelta(minutes=5))
    assert [p[0] for p in publisher.posts] == ["C0LLM"]  # mlops's claim may still be sending
    digests.send_due(now=MONDAY_9 + timedelta(minutes=11))
    assert [p[0] for p in publisher.posts] == ["C0LLM", "C0MLOPS"]
    assert ledger(database)["C0MLOPS"] == ("posted", 2)


@pytest.mark.usefixtures("guilds")
def test_failures_are_retried_with_backoff_then_given_up(database: Database, publisher: RecordingPublisher) -> None:
    digests = service(database, publisher)
    publisher.failures = ["channel_not_found"] * 3  # llm, mlops and the org all fail
    report = digests.send_due(now=MONDAY_9)
    assert str(report).startswith("2026-W48: 0 posted, 3 failed (llm: channel_not_found;")
    assert digests.send_due(now=MONDAY_9 + timedelta(minutes=14)).posted == []  # not before 15 minutes
    publisher.failures = ["channel_not_found"]
    assert digests.send_due(now=MONDAY_9 + timedelta(minutes=15)).posted == ["mlops", "org"]
    assert ledger(database)["C0LLM"] == ("failed", 2)
    later = MONDAY_9 + timedelta(minutes=15)
    for wait in (30, 60):  # attempts 3 and 4, after 30 min and 1 h
        later += timedelta(minutes=wait)
        publisher.failures = ["channel_not_found"]
        report = digests.send_due(now=later)
    assert str(report) == "2026-W48: 0 posted, 1 failed (llm: channel_not_found, gave up)"
    assert digests.send_due(now=later + timedelta(days=1)).failed == []
    assert ledger(database)["C0LLM"] == ("failed", 4)


@pytest.mark.usefixtures("guilds")
def test_a_missed_monday_is_caught_up_but_only_for_the_last_week(
    database: Database, publisher: RecordingPublisher
) -> None:
    digests = service(database, publisher, org_channel=None)
    report = digests.send_due(now=MONDAY_9 + timedelta(days=3))  # down from Monday to Thursday
    assert str(report) == "2026-W48: 2 posted; org digest off (FACTORY_DIGEST_CHANNEL unset)"
    publisher.posts.clear()
    digests.send_due(now=MONDAY_9 + timedelta(days=14, hours=2))  # down the whole next week too
    assert {week for _, week, _ in publisher.posts} == {"2026-W50"}  # W49 is not sent any more
