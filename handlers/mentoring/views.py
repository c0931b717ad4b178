"""Block Kit for mentoring: introductions, check-ins, notices and the /mentor replies.

Every message here has a handful of blocks; skill lists are cut so a section stays far
below 3000 characters (https://api.slack.com/reference/block-kit/blocks).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot.mentoring.service import Enrolled, ProgramStats, Status
from bot.mentoring.rounds import ANSWERS, CheckInPrompt, Intro, RoundOutcome, UnmatchedNotice
from bot.text import plural
from handlers.blocks import Message, context, message, section, when

CHECKIN_ACTIONS = {answer: f"mentoring_checkin_{answer}" for answer in ANSWERS}
MAX_SKILLS_SHOWN = 12

_UNMATCHED_WHY = {
    "no_eligible_partner": "nobody in this round shares a skill with you (or everyone who does is on your avoid list)",
    "capacity_full": "the mentors who teach what you are looking for were all full this round",
    "partners_taken": "the people who suit you best were matched with others this round",
}


def _skills(skills: tuple[str, ...] | list[str]) -> str:
    shown = ", ".join(f"`{s}`" for s in list(skills)[:MAX_SKILLS_SHOWN])
    more = len(skills) - MAX_SKILLS_SHOWN
    return shown + (f" and {more} more" if more > 0 else "") if skills else "_none yet_"


def why_matched(reason: dict[str, object], *, kind: str) -> str:
    """"you both work on llm-evaluation; 3 working hours overlap" — the reason in words."""
    skills = list(reason.get("shared_skills") or [])  # type: ignore[call-overload]
    parts = []
    if skills:
        named = ", ".join(str(s) for s in skills[:5])
        parts.append(f"you both work on {named}" if kind == "peer" else f"the mentor teaches what you want to learn: {named}")
    hours = float(reason.get("overlap_hours") or 0)  # type: ignore[arg-type]
    parts.append(f"{hours:g} working hours overlap" if hours else "your working hours do not overlap: agree on a time that suits both")
    if reason.get("cross_team"):
        parts.append("you are on different teams")
    if reason.get("repeat"):
        parts.append("you met recently, but nobody else suited this round")
    return "; ".join(parts)


def intro_message(intro: Intro) -> Message:
    people = " ".join(f"<@{m}>" for m in intro.members)
    if intro.mentor_id:
        mentee = next(m for m in intro.members if m != intro.mentor_id)
        headline = f":wave: <@{intro.mentor_id}>, meet <@{mentee}>: you are their mentor for this round."
        agenda = ("*Suggested first agenda* (30 min)\n• what <@%s> wants to learn, and why now\n"
                  "• what <@%s> has built with it\n• one small goal for the next two weeks") % (mentee, intro.mentor_id)
    else:
        headline = f":wave: {people}: you are matched for this round of peer learning."
        agenda = ("*Suggested first agenda* (30 min)\n• what each of you is working on\n"
                  "• one thing each of you could show the other\n• when to meet again")
    blocks: list[Block] = [
        section(headline),
        section(f"*Why you:* {why_matched(intro.reason, kind=intro.kind)}."),
        section(agenda),
        context(f"Check-in: {when(intro.checkin_at)} — I'll ask how it went."),
    ]
    return message(f"Meet your match: {people}", blocks)


def unmatched_message(notice: UnmatchedNotice) -> Message:
    why = _UNMATCHED_WHY.get(notice.reason, "this round could not find you a match")
    text = (f"No match for you this round: {why}. You go first next round: {when(notice.next_round_at)}. "
            "Adding skills with `/mentor offer` or `/mentor seek` widens your chances.")
    return message(text, [section(f":hourglass: {text}")])


def checkin_message(prompt: CheckInPrompt) -> Message:
    value = str(prompt.match_id)
    buttons = [
        ButtonElement(text=label, action_id=CHECKIN_ACTIONS[answer], value=value,
                      style="primary" if answer == "yes" else None)
        for answer, label in ANSWERS.items()
    ]
    blocks: list[Block] = [section("Did you meet? :coffee:"), ActionsBlock(block_id="mentoring_checkin", elements=buttons)]
    return message("Did you meet?", blocks)


def answered_message(member_id: str, answer: str, *, changed: bool) -> Message:
    if not changed:
        return message("Already noted.", [context(f"<@{member_id}>'s answer was already *{ANSWERS[answer]}*.")])
    thanks = " Thanks — enjoy it!" if answer == "yes" else ""
    return message(f"Noted: {ANSWERS[answer]}", [context(f"<@{member_id}> answered *{ANSWERS[answer]}*.{thanks}")])


def inactive_message() -> Message:
    text = ("You did not answer your last three mentoring introductions, so I have stopped matching you. "
            "Whenever you want back in, type `/mentor resume`.")
    return message(text, [section(text)])


def enrolled_message(enrolled: Enrolled) -> Message:
    role = "mentor" if enrolled.role == "mentor" else "mentee"
    kind = "You teach" if enrolled.role == "mentor" else "You want to learn"
    capacity = f" (up to {plural(enrolled.capacity, 'mentee')} a round)" if role == "mentor" else ""
    lines = [f":white_check_mark: You are a {role}{capacity}. {kind}: {_skills(enrolled.skills)}.",
             f"Next round: {when(enrolled.next_round_at)}."]
    return message(lines[0], [section("\n".join(lines)), context("Edit your skills any time with `/guild profile`.")])


def status_message(status: Status, *, zone: ZoneInfo) -> Message:
    if status.state == "not_enrolled":
        text = "You are not in mentoring yet: `/mentor offer <skills…>` to mentor, `/mentor seek <skills…>` to be mentored."
        return message(text, [section(text)])
    roles = ", ".join(f"mentor (capacity {c})" if r == "mentor" else r for r, c in status.roles) or "peer (guilds)"
    state = {"active": "taking part", "inactive": "inactive — `/mentor resume` to come back",
             "stopped": "stopped — `/mentor offer` or `/mentor seek` to come back"}.get(status.state, "paused")
    if status.state == "paused":
        state += f" until {status.paused_until.astimezone(zone).date().isoformat()}" if status.paused_until else " — `/mentor resume`"
    lines = [f"*Role:* {roles}", f"*Status:* {state}", f"*You teach:* {_skills(status.teach)}",
             f"*You want to learn:* {_skills(status.learn)}"]
    if status.current:
        partners = ", ".join(f"<@{p}>" for p in status.current.partners)
        lines.append(f"*Current match* ({status.current.round_on.isoformat()}): {partners}")
    else:
        lines.append("*Current match:* none")
    lines.append(f"*Next round:* {when(status.next_round_at)}")
    return message("Your mentoring status", [section("\n".join(lines))])


def notice_message(text: str) -> Message:
    return message(text, [section(text)])


def paused_message(until: datetime | None, *, zone: ZoneInfo) -> Message:
    if until is None:
        return notice_message(":pause_button: Paused: no matches until you type `/mentor resume`.")
    return notice_message(f":pause_button: Paused until {until.astimezone(zone).date().isoformat()}; you'll be back in rounds by yourself then.")


def round_message(outcome: RoundOutcome) -> Message:
    if not outcome.ran:
        return notice_message(
            f"`{outcome.program}` already had its round on {outcome.round_on.isoformat()} and it matched people: "
            "one round a day. Only a round that matched nobody can be run again the same day."
        )
    text = (f":handshake: Round for `{outcome.program}` on {outcome.round_on.isoformat()}: "
            f"{plural(len(outcome.intros), 'introduction')} sent, "
            f"{plural(len(outcome.unmatched), 'person', 'people')} told they are unmatched.")
    if outcome.replaced:
        text += " The earlier round today matched nobody, so this one took its place."
    return notice_message(text)


def stats_message(stats: list[ProgramStats]) -> Message:
    if not stats:
        return notice_message("No mentoring rounds yet.")
    lines = [
        f"*{s.program}* — {plural(s.rounds, 'round')}, {plural(s.matches, 'match', 'matches')}, "
        f"{plural(s.people_matched, 'person', 'people')} matched, "
        f"{s.unmatched_last_round} unmatched last round; check-ins {s.answered}/{s.checkins_asked} answered, "
        f"met {s.met} ({s.met_rate:.0%})"
        for s in stats[:45]
    ]
    return message("Mentoring stats", [section(line) for line in lines])
