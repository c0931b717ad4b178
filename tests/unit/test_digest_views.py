"""The digest's Block Kit and its Slack publisher, posted to the Slack stand-in (which enforces
Block Kit's limits), and the PNG chart."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image
from slack_sdk import WebClient

from bot.digest.chart import HEIGHT, WIDTH, draw_chart
from bot.digest.figures import STAGES, TALLIES, TREND_WEEKS, Digest, build_stages, weakest_sentence
from bot.digest.narrative import MAX_CHARS
from bot.digest.ports import DigestNotPosted
from bot.digest.weeks import IsoWeek
from bot.sandbox import SlackStandIn
from bot.sandbox.slack_standin import MAX_HEADER_TEXT, MAX_MESSAGE_BLOCKS, MAX_SECTION_FIELD_TEXT, MAX_SECTION_FIELDS
from bot.sandbox.slack_standin import MAX_SECTION_TEXT
from handlers.digest.publisher import SlackDigestPublisher
from handlers.digest.views import digest_message, thanks
from storage.digest import ORG


def largest_digest(scope: str = "x" * 40) -> Digest:
    """The longest title, huge numbers, every week known, three contributors: as long as it gets."""
    counts = [{name: 1_000_000_000 + i * 7_777_777 for name in TALLIES} for i in range(TREND_WEEKS)]
    middles = [{"hours_to_decision": 10_000.25 + i} for i in range(TREND_WEEKS)]
    stages = build_stages(counts, middles)
    return Digest(scope, "G" * 80, "C0GUILD", IsoWeek(2026, 48), stages, weakest_sentence(stages),
                  ("W" + "9" * 10, "U" + "8" * 10, "U" + "7" * 10), so_far=True)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token="xoxb-test", base_url=slack.api_url)


def test_the_largest_digest_is_well_inside_block_kits_limits(slack: SlackStandIn, client: WebClient) -> None:
    reply = digest_message(largest_digest(), "n" * MAX_CHARS)
    blocks = reply["blocks"]
    assert len(blocks) <= MAX_MESSAGE_BLOCKS // 3
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= (MAX_HEADER_TEXT if block["type"] == "header" else MAX_SECTION_TEXT // 3)
        fields = block.get("fields") or []
        assert len(fields) <= MAX_SECTION_FIELDS and all(len(f["text"]) <= MAX_SECTION_FIELD_TEXT // 10 for f in fields)
    client.chat_postMessage(channel="C0GUILD", **reply)  # the stand-in checks the limits too
    assert slack.calls("chat.postMessage")[0].ok


def test_the_digest_shows_each_stage_with_change_and_trend() -> None:
    reply = digest_message(largest_digest(), "A calm week.")
    text = "\n".join(str(b) for b in reply["blocks"])
    for stage in STAGES:
        assert f"*{stage.name}*" in text
    assert "+7,777,777" in text and "`▁▂▃▄▅▆▇█`" in text and "week 48 so far" in text
    assert "A calm week." in text and "Thank you <@W9999999999>, <@U8888888888> and <@U7777777777>" in text


def test_thanks_reads_naturally() -> None:
    assert thanks(("U1",)) == "Thank you <@U1> for turning the flywheel this week."
    assert thanks(("U1", "U2")) == "Thank you <@U1> and <@U2> for turning the flywheel this week."


def test_the_org_digest_is_posted_with_its_chart_in_the_thread(slack: SlackStandIn, client: WebClient) -> None:
    digest = largest_digest(ORG)
    ts = SlackDigestPublisher(client).publish("C0LEAD", digest, narrative="Up.", chart=draw_chart(digest))
    done = slack.calls("files.completeUploadExternal")[0].params
    assert (done["channel_id"], done["thread_ts"]) == ("C0LEAD", ts)
    png = slack.uploaded(done["files"][0]["id"])
    assert Image.open(io.BytesIO(png)).size == (WIDTH, HEIGHT) and png.startswith(b"\x89PNG")


def test_a_refused_post_raises_and_a_failed_chart_does_not(slack: SlackStandIn, client: WebClient) -> None:
    publisher, digest = SlackDigestPublisher(client), largest_digest(ORG)
    slack.fail("chat.postMessage", error="channel_not_found")
    with pytest.raises(DigestNotPosted, match="channel_not_found"):
        publisher.publish("C0GONE", digest, narrative="Up.", chart=None)
    slack.fail("files.completeUploadExternal", error="not_in_channel")
    assert publisher.publish("C0LEAD", digest, narrative="Up.", chart=b"\x89PNG")  # the message went out


def test_the_chart_has_a_bar_per_known_week_and_a_dot_per_unknown_one() -> None:
    counts = [dict.fromkeys(TALLIES, 3) for _ in range(TREND_WEEKS)]
    stages = build_stages(counts, [{"hours_to_decision": 1.0}] * TREND_WEEKS, first_week=5)
    digest = Digest(ORG, "the whole org", "C0LEAD", IsoWeek(2026, 48), stages, "", ())
    image = Image.open(io.BytesIO(draw_chart(digest))).convert("RGB")
    colours = {colour for _, colour in image.getcolors(WIDTH * HEIGHT)}
    assert (0xC0, 0x39, 0x2B) in colours and (0x7D, 0x3C, 0x98) in colours  # Safety's and Feedback's bars
