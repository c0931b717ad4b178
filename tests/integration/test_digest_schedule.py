"""A guild's own digest slot: moved by its leads (or admins), turned off, respected by ``send_due``."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest.service import DigestError, DigestService
from storage.db import Database
from storage.guilds import add_guild, add_lead
from storage.members import ensure_members
from tests.integration.test_digest_sending import RecordingPublisher

PARIS = ZoneInfo("Europe/Paris")
ADMIN, LEAD, MEMBER = "U0ADMIN", "U0LEAD", "U0MEMBER"
W48_MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)  # 2026-W47's digests go out
W49_MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)  # 2026-W48's


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def digests(database: Database, publisher: RecordingPublisher) -> DigestService:
    with database.unit_of_work() as uow:
        ensure_members(uow.session, [ADMIN, LEAD, MEMBER])
        for slug in ("mlops", "llm"):
            guild = add_guild(uow.session, slug=slug, name=slug.upper(), description="",
                              channel_id=f"C0{slug.upper()}", created_by=ADMIN, at=datetime(2026, 1, 1, tzinfo=PARIS))
            add_lead(uow.session, guild_id=guild.id, member_id=LEAD, added_by=ADMIN, at=guild.created_at)
        uow.commit()
    return DigestService(database, zone=PARIS, publisher=publisher, org_channel="C0LEADERS",
                         is_admin=lambda user: user == ADMIN, clock=lambda: W48_MONDAY_9)


def test_a_moved_digest_goes_out_on_its_new_day_and_one_turned_off_not_at_all(
    digests: DigestService, publisher: RecordingPublisher
) -> None:
    assert str(digests.send_due(now=W48_MONDAY_9)) == "2026-W47: 3 posted"  # everyone on the default slot
    assert "Thursdays at 14:30 (Europe/Paris)" in digests.schedule("mlops", ["thu", "14:30"], user_id=LEAD)
    assert "is off" in digests.schedule("llm", ["off"], user_id=ADMIN)
    publisher.posts.clear()

    assert str(digests.send_due(now=W49_MONDAY_9)) == "2026-W48: 1 posted"
    assert publisher.posts == [("C0LEADERS", "2026-W48", True)]  # mlops waits for Thursday, llm is off
    thursday = datetime(2026, 12, 3, 14, 30, tzinfo=PARIS)
    assert str(digests.send_due(now=thursday - timedelta(minutes=1))) == "2026-W48: nothing due"
    digests.send_due(now=thursday)
    assert publisher.posts[1:] == [("C0MLOPS", "2026-W48", False)]
    digests.send_due(now=thursday + timedelta(hours=1))
    assert len(publisher.posts) == 2  # once


def test_moving_a_digest_earlier_sends_the_week_it_was_waiting_for(
    digests: DigestService, publisher: RecordingPublisher
) -> None:
    digests.send_due(now=W48_MONDAY_9)
    digests.schedule("mlops", ["friday", "17:00"], user_id=LEAD)
    digests.send_due(now=W49_MONDAY_9)
    assert ("C0MLOPS", "2026-W48", False) not in publisher.posts
    digests.schedule("mlops", ["tuesday", "08:00"], user_id=LEAD)
    digests.send_due(now=datetime(2026, 12, 1, 8, 0, tzinfo=PARIS))
    assert publisher.posts[-1] == ("C0MLOPS", "2026-W48", False)


@pytest.mark.parametrize(("slot", "user", "says"), [
    (["thu", "14:30"], MEMBER, "Only the leads of `mlops` and factorybot admins can move its digest."),
    (["someday", "14:30"], LEAD, "`someday` is not a weekday; write one such as `monday` or `thu`."),
    (["thu", "25:00"], LEAD, "`25:00` is not a time of day; write 24-hour `HH:MM` such as `09:00` or `14:30`."),
    (["thu"], LEAD, "Usage: `/factory digest schedule <guild> <weekday> <HH:MM>`"),
])
def test_refusals_say_why(digests: DigestService, slot: list[str], user: str, says: str) -> None:
    with pytest.raises(DigestError) as refused:
        digests.schedule("mlops", slot, user_id=user)
    assert says in str(refused.value)
    if "not a" in says:
        assert "For example: `/factory digest schedule mlops thursday 14:30`." in str(refused.value)


def test_an_unknown_guild_is_named(digests: DigestService) -> None:
    with pytest.raises(DigestError, match="No open guild called `nope`"):
        digests.schedule("nope", ["off"], user_id=ADMIN)
