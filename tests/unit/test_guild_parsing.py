from datetime import datetime, timedelta, timezone

import pytest

from bot.guilds.members import TZ_MAX_AGE, tz_is_stale
from handlers.guilds.slack import channel_id_of, user_id_of


@pytest.mark.parametrize(("text", "found"), [("<#C0MLOPS1|mlops>", "C0MLOPS1"), ("<#G0PRIV01>", "G0PRIV01"),
                                             ("#mlops", None), ("mlops", None), ("<@U0MEMBER1|grace>", None)])
def test_channel_mentions_as_slack_escapes_them(text: str, found: str | None) -> None:
    assert channel_id_of(text) == found


@pytest.mark.parametrize(("text", "found"), [("<@U0MEMBER1|grace>", "U0MEMBER1"), ("<@W0ENTERP1>", "W0ENTERP1"),
                                             ("@grace", None), ("grace", None), ("<#C0MLOPS1|mlops>", None)])
def test_user_mentions_as_slack_escapes_them(text: str, found: str | None) -> None:
    assert user_id_of(text) == found


def test_a_time_zone_is_refreshed_after_seven_days_or_when_never_fetched() -> None:
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert tz_is_stale(None, now=now)
    assert not tz_is_stale(now - TZ_MAX_AGE + timedelta(minutes=1), now=now)
    assert tz_is_stale(now - TZ_MAX_AGE, now=now)
