"""Block Kit for the flywheel digest: the weekly post and the ``/factory digest preview`` reply.

A dozen blocks whatever the figures: a header, the narrative, one section a stage (its
figures as at most 8 fields, each a few dozen characters), the weakest stage, the thanks.
A unit test renders the largest digest possible against Block Kit's limits
(https://api.slack.com/reference/block-kit/blocks).
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.digest.figures import TREND_WEEKS, Digest, FigureLine, Stage
from bot.digest.service import Sent
from handlers.blocks import Message, context, message, section

STAGE_EMOJI = {"Safety": ":shield:", "Trust": ":handshake:", "Adoption": ":seedling:", "Impact": ":rocket:",
               "Feedback": ":speech_balloon:"}


def digest_message(digest: Digest, narrative: str) -> Message:
    """The digest as posted to a guild's channel or the org channel (and previewed)."""
    when = f"week {digest.week.week} so far" if digest.so_far else f"week {digest.week.week}"
    blocks: list[Block] = [
        HeaderBlock(text=f"Flywheel digest — {digest.title} — {when}"),  # guild names are at most 80 characters
        context(f"{digest.week.label} · {digest.week.days_text()}"),
        section(narrative),
        *[_stage(stage) for stage in digest.stages],
        DividerBlock(),
        section(f":mag: {digest.weakest}"),
    ]
    if digest.contributors:
        blocks.append(section(f":raised_hands: {thanks(digest.contributors)}"))
    blocks.append(context(
        f"Changes are against the week before; bars are the last {TREND_WEEKS} weeks, lowest ▁ to highest █ "
        "(· nothing to measure)."
    ))
    text = f"Flywheel digest for {digest.title}, {digest.week.label}: {digest.weakest}"
    return message(text, blocks)


def thanks(contributors: tuple[str, ...]) -> str:
    """"Thank you <@U1>, <@U2> and <@U3> for turning the flywheel this week." """
    names = [f"<@{user}>" for user in contributors]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"Thank you {listed} for turning the flywheel this week."


def _stage(stage: Stage) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=f"{STAGE_EMOJI[stage.name]} *{stage.name}*"),
        fields=[MarkdownTextObject(text=_figure(line)) for line in stage.figures],
    )


def _figure(line: FigureLine) -> str:
    change = f"  ({line.change_text()})" if line.change_text() else ""
    return f"*{line.label}*\n{line.value_text()}{change}  `{line.sparkline}`"


def sent_message(sent: list[Sent]) -> Message:
    """What ``/factory digest send`` did, one line a digest."""
    lines = [_sent_line(s) for s in sent] or ["There is no open guild, so there was no digest to post."]
    return message(f"Digests: {len(sent)}", [section("\n".join(lines))])


def _sent_line(sent: Sent) -> str:
    where = f"<#{sent.channel_id}>"
    link = f"<{permalink(sent.channel_id, sent.ts)}|the post>" if sent.ts else ""
    if sent.outcome == "sent":
        return f":white_check_mark: {sent.scope} {sent.week}: posted in {where} ({link})."
    if sent.outcome == "posted":
        return f":information_source: {sent.scope} {sent.week} was already posted in {where}: see {link}."
    if sent.outcome == "sending":
        return f":hourglass: {sent.scope} {sent.week} is being posted in {where} right now."
    tail = "I gave up after several tries." if sent.gave_up else "I will try again."
    return f":warning: {sent.scope} {sent.week} could not be posted in {where} ({sent.detail or 'failed'}). {tail}"


def permalink(channel_id: str, ts: str) -> str:
    """A link to a message that Slack resolves for the viewer's workspace."""
    return f"https://slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
