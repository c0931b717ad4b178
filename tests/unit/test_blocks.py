"""The shared Block Kit pieces, without Slack."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.text import utc_text
from handlers.blocks import when


def test_a_moment_is_shown_in_the_readers_zone_with_a_readable_utc_fallback() -> None:
    at = datetime(2026, 12, 1, 22, 44, 59, tzinfo=ZoneInfo("Europe/Paris"))
    assert when(at) == "<!date^1796161499^{date_short_pretty} at {time}|2026-12-01 21:44 UTC>"
    assert utc_text(at) == "2026-12-01 21:44 UTC"
    assert when(at) == when(at.astimezone(timezone.utc))
    assert when(None) == "—"
