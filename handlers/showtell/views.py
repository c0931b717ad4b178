"""Block Kit for show-and-tell: the agenda with its Kudos buttons, the list, the propose,
schedule and link modals, the DMs and channel posts of the notifier, and the App Home part.

Times a person reads in a reply or a DM are on their own wall clock (their Slack zone);
channel posts use Slack's ``<!date>`` token, which every reader sees in their own zone, with
the series' local time as the fallback text.  People's text (titles, abstracts) is escaped.
Limits (https://api.slack.com/reference/block-kit/blocks): at most 10 talks a session and 10
sessions a list keep messages far below 50 blocks; abstracts are cut to 280 characters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
    UrlInputElement,
)
from slack_sdk.models.views import View

from bot.showtell.model import (
    Booked,
    CancelNotice,
    Cancelled,
    KudosGiven,
    LinkRequest,
    OfferAnswer,
    ProposalForm,
    Reminder,
    ScheduleForm,
    Scheduled,
    SessionCard,
    SharedLink,
    ShowTellHome,
    Skipped,
    SlotOffer,
    TalkCard,
    when,
)
from bot.showtell.schedule import WEEKDAYS
from bot.text import plural
from handlers.blocks import Message, context, message, section
from handlers.parsing import escape as _esc, shorten as _short  # people's text in mrkdwn

KUDOS_ACTION = "showtell_kudos"
ACCEPT_ACTION, PASS_ACTION = "showtell_offer_accept", "showtell_offer_pass"
LINK_ACTION = "showtell_link_open"
PROPOSE_ACTION = "showtell_propose_open"
PROPOSE_CALLBACK, SCHEDULE_CALLBACK, LINK_CALLBACK = "showtell_propose", "showtell_schedule", "showtell_link"
LENGTHS = (5, 10, 15, 20, 30, 45, 60)  # minutes a talk may last, as the propose modal offers them
MAX_ABSTRACT_SHOWN = 280


def zone_of(tz: str | None, fallback: ZoneInfo) -> ZoneInfo:
    """A person's zone as Slack gave it, or ``fallback`` when unknown or not a zone zoneinfo knows."""
    try:
        return ZoneInfo(tz) if tz else fallback
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return fallback


def _everyone_sees(at: datetime, zone: ZoneInfo) -> str:
    """A time each reader of a channel sees on their own clock (the fallback: the series' clock)."""
    return f"<!date^{int(at.timestamp())}^{{date_long_pretty}} at {{time}}|{when(at, zone)}>"


def _talk_line(talk: TalkCard) -> str:
    return f"`#{talk.id}` *{_esc(talk.title)}* — <@{talk.presenter}> · {talk.minutes} min"


def _session_text(card: SessionCard, zone: ZoneInfo) -> str:
    lines = [f"*{_esc(card.guild_name)}* · {when(card.starts_at, zone)} · {card.minutes} min"]
    lines += [f"• {_talk_line(t)}" for t in card.talks] or ["_No talks yet._"]
    lines.append(f"_{card.room()}_ · `/showtell propose {card.guild_slug}`" if card.free_slots else f"_{card.room()}_")
    return "\n".join(lines)


def _view(callback_id: str, title: str, blocks: list[Block], *, submit: str | None = None,
          metadata: str = "") -> dict[str, Any]:
    return View(type="modal", callback_id=callback_id, title=title, submit=submit,
                close="Cancel" if submit else "Done", blocks=blocks, private_metadata=metadata).to_dict()


# -- replies to commands -----------------------------------------------------------


def list_message(cards: tuple[SessionCard, ...], *, zone: ZoneInfo, guild: str | None) -> Message:
    """``/showtell list [guild]``: the coming sessions in the reader's zone, with talks and free slots."""
    if not cards:
        return notice_message("No guild has a show-and-tell coming. A guild's lead starts one with "
                              "`/showtell schedule <guild>`.")
    title = (f"Coming show-and-tell of *{_esc(cards[0].guild_name)}*" if guild
             else "The next show-and-tell of each guild")
    blocks: list[Block] = [section(title), *(section(_session_text(c, zone)) for c in cards)]
    blocks.append(context(f"Times are in your time zone ({zone.key}). "
                          "`/showtell cancel <talk number>` cancels a talk."))
    return message(f"{title.replace('*', '')}: {plural(len(cards), 'session')}", blocks)


def scheduled_message(done: Scheduled, *, zone: ZoneInfo) -> Message:
    dates = "\n".join(f"• {when(c.starts_at, zone)}" for c in done.sessions)
    lines = [f":calendar: *{_esc(done.guild_name)}* show-and-tell: `{done.schedule}`.", f"*Next sessions*\n{dates}"]
    if done.kept_talks:
        lines.append(f"{plural(done.kept_talks, 'booked talk')} kept (their sessions remain).")
    if done.cancelled_talks:
        lines.append(f"{plural(done.cancelled_talks, 'talk')} cancelled with their sessions; "
                     "the presenters were told.")
    return message(f"{_esc(done.guild_name)} show-and-tell scheduled: {done.schedule}", [section(t) for t in lines])


def skipped_message(done: Skipped) -> Message:
    card = done.session
    text = (f"Skipped the *{_esc(card.guild_name)}* session of {when(card.starts_at, card.zone)}; "
            f"{plural(done.told, 'person', 'people')} told.")
    return message(text, [section(text)])


def cancelled_message(done: Cancelled) -> Message:
    text = f"Cancelled talk `#{done.talk.id}` *{_esc(done.talk.title)}*."
    if done.offered_to:
        text += f" The slot was offered to <@{done.offered_to}>, first on the waitlist."
    return message(text, [section(text)])


def notice_message(text: str) -> Message:
    return message(text, [section(text)])


# -- the propose modal ----------------------------------------------------------------


def _session_option(card: SessionCard, zone: ZoneInfo) -> Option:
    local = card.starts_at.astimezone(zone)
    room = card.room() if card.free_slots else "full: join the waitlist"
    return Option(value=str(card.id), label=_short(f"{local:%a} {local.day} {local:%b, %H:%M} · {room}", 75))


def propose_modal(form: ProposalForm, *, zone: ZoneInfo) -> dict[str, Any]:
    longest = max(c.minutes for c in form.sessions)
    lengths = [Option(value=str(n), label=f"{n} minutes") for n in LENGTHS if n <= longest]
    blocks: list[Block] = [
        section(f"Propose a talk at *{_esc(form.guild_name)}* show-and-tell. Times are in your zone ({zone.key}); "
                "a full session puts you on its waitlist."),
        InputBlock(block_id="session", label="Session", element=StaticSelectElement(
            action_id="session", options=[_session_option(c, zone) for c in form.sessions])),
        InputBlock(block_id="title", label="Title", element=PlainTextInputElement(action_id="title", max_length=150)),
        InputBlock(block_id="abstract", label="Abstract", optional=True, element=PlainTextInputElement(
            action_id="abstract", multiline=True, max_length=2000)),
        InputBlock(block_id="minutes", label="Length", element=StaticSelectElement(
            action_id="minutes", options=lengths, initial_option=lengths[min(1, len(lengths) - 1)])),
    ]
    return _view(PROPOSE_CALLBACK, "Propose a talk", blocks, submit="Propose", metadata=form.guild_slug)


def booked_view(booked: Booked, *, zone: ZoneInfo) -> dict[str, Any]:
    card, at = booked.session, when(booked.session.starts_at, zone)
    if booked.position is None:
        text = (f":white_check_mark: Booked: talk `#{booked.talk_id}` at *{_esc(card.guild_name)}* show-and-tell, "
                f"{at}. I'll remind you the day before.")
    else:
        text = (f":hourglass: The session of {at} is full: you are number {booked.position} on its waitlist. "
                "If a slot frees up I'll offer it to you by DM.")
    return _view(PROPOSE_CALLBACK, "Propose a talk", [section(text), context(card.room())])


def notice_modal(title: str, reply: Message) -> dict[str, Any]:
    """A modal showing a reply: a refusal, or the outcome of work done after the ack."""
    return View(type="modal", callback_id="showtell_notice", title=title, close="Done",
                blocks=reply["blocks"]).to_dict()


# -- the schedule modal ---------------------------------------------------------------


def schedule_modal(form: ScheduleForm) -> dict[str, Any]:
    days = [Option(value=d, label=d.capitalize()) for d in WEEKDAYS]

    def number(block_id: str, label: str, value: str, hint: str) -> InputBlock:
        return InputBlock(block_id=block_id, label=label, hint=hint,
                          element=PlainTextInputElement(action_id=block_id, initial_value=value, max_length=3))

    blocks: list[Block] = [
        section(f"The rhythm of *{_esc(form.guild_name)}* show-and-tell. The next eight sessions are made at once; "
                "booked talks stay where their session remains, and the others' presenters are told."),
        number("every", "Every how many weeks", str(form.every_weeks), "1 to 12"),
        InputBlock(block_id="weekday", label="On", element=StaticSelectElement(
            action_id="weekday", options=days, initial_option=days[WEEKDAYS.index(form.weekday)])),
        InputBlock(block_id="time", label="At", element=TimePickerElement(action_id="time", initial_time=form.at)),
        InputBlock(block_id="zone", label="Time zone", hint="An IANA zone such as Europe/Paris",
                   element=PlainTextInputElement(action_id="zone", initial_value=form.zone, max_length=64)),
        number("slots", "Talks per session", str(form.slots), "1 to 10"),
        number("minutes", "Length of the session in minutes", str(form.minutes), "5 to 240"),
    ]
    return _view(SCHEDULE_CALLBACK, "Show-and-tell schedule", blocks, submit="Save", metadata=form.guild_slug)


# -- links ------------------------------------------------------------------------------


def link_modal(talk_id: int) -> dict[str, Any]:
    blocks: list[Block] = [
        section("A recording, slides or a repository: I'll post it in the thread of the session's agenda."),
        InputBlock(block_id="link", label="Link", element=UrlInputElement(action_id="link")),
    ]
    return _view(LINK_CALLBACK, "Share your talk", blocks, submit="Share", metadata=str(talk_id))


def link_shared_message(shared: SharedLink) -> Message:
    where = "the agenda's thread" if shared.thread_ts else f"<#{shared.session.channel_id}>"
    return notice_message(f":white_check_mark: Posted in {where}. Thank you!")


# -- what the notifier sends ------------------------------------------------------------


def agenda_message(card: SessionCard) -> Message:
    """The morning's agenda in the guild's channel: one section per talk with its Kudos button,
    whose count is redrawn in place on each click."""
    blocks: list[Block] = [
        HeaderBlock(text=_short(f"Show-and-tell today: {card.guild_name}", 150)),
        section(f":clock4: {_everyone_sees(card.starts_at, card.zone)} · {card.minutes} min"),
    ]
    for talk in card.talks:
        text = f"*{_esc(talk.title)}* — <@{talk.presenter}> · {talk.minutes} min"
        if talk.abstract:
            text += f"\n{_esc(_short(talk.abstract, MAX_ABSTRACT_SHOWN))}"
        kudos = ButtonElement(text=f":clap: Kudos · {talk.kudos}", action_id=KUDOS_ACTION, value=str(talk.id))
        blocks.append(SectionBlock(block_id=f"talk:{talk.id}", text=MarkdownTextObject(text=text), accessory=kudos))
    blocks.append(context("Presenters: after the session I'll ask you for a recording or slides link; "
                          "it will appear in this thread."))
    return message(f"Show-and-tell today in {_esc(card.guild_name)}: {plural(len(card.talks), 'talk')}", blocks)


def nudge_message(card: SessionCard) -> Message:
    text = (f":raising_hand: *{_esc(card.guild_name)}* show-and-tell on {_everyone_sees(card.starts_at, card.zone)}: "
            f"{plural(card.free_slots, 'slot')} free — `/showtell propose {card.guild_slug}`")
    button = ButtonElement(text="Propose a talk", action_id=PROPOSE_ACTION, value=card.guild_slug, style="primary")
    fallback = f"{card.guild_name} show-and-tell: {plural(card.free_slots, 'slot')} free"
    return message(fallback, [SectionBlock(text=MarkdownTextObject(text=text), accessory=button)])


def reminder_message(reminder: Reminder) -> Message:
    card, talk = reminder.session, reminder.talk
    text = (f":spiral_calendar_pad: Reminder: you present *{_esc(talk.title)}* ({talk.minutes} min) at "
            f"*{_esc(card.guild_name)}* show-and-tell on {when(card.starts_at, reminder.zone)} (your time), "
            f"in <#{card.channel_id}>. Can't make it? `/showtell cancel {talk.id}` frees the slot for someone else.")
    return message(f"Reminder: {_esc(talk.title)} at {_esc(card.guild_name)} show-and-tell", [section(text)])


def offer_message(offer: SlotOffer) -> Message:
    card = offer.session
    text = (f":tada: A slot opened at *{_esc(card.guild_name)}* show-and-tell on {when(card.starts_at, offer.zone)} "
            f"(your time): your talk *{_esc(offer.title)}* ({offer.minutes} min) fits. Do you take it?")
    buttons = ActionsBlock(block_id=f"offer:{offer.entry_id}", elements=[
        ButtonElement(text="Accept", action_id=ACCEPT_ACTION, value=str(offer.entry_id), style="primary"),
        ButtonElement(text="Pass", action_id=PASS_ACTION, value=str(offer.entry_id)),
    ])
    note = context(f"Held for you until {when(offer.expires_at, offer.zone)}; then it goes to the next person waiting.")
    return message(f"A slot opened at {_esc(card.guild_name)} show-and-tell", [section(text), buttons, note])


def offer_answered_message(answer: OfferAnswer, *, zone: ZoneInfo) -> Message:
    card = answer.session
    if answer.accepted:
        text = (f":white_check_mark: Booked: talk `#{answer.talk_id}` at *{_esc(card.guild_name)}* show-and-tell, "
                f"{when(card.starts_at, zone)}.")
    else:
        text = "You passed; the slot goes to the next person waiting. Thanks for saying so!"
    return notice_message(text)


def link_request_message(request: LinkRequest) -> Message:
    talk = request.talk
    text = (f":clap: Thanks for presenting *{_esc(talk.title)}* at *{_esc(request.session.guild_name)}* "
            "show-and-tell! Share a recording or your slides and I'll post the link in the agenda's thread.")
    button = ButtonElement(text="Share a link", action_id=LINK_ACTION, value=str(talk.id), style="primary")
    return message(f"Share the link of {_esc(talk.title)}", [SectionBlock(text=MarkdownTextObject(text=text),
                                                                     accessory=button)])


def link_posted_message(shared: SharedLink) -> Message:
    text = f":link: <@{shared.talk.presenter}> shared *{_esc(shared.talk.title)}*: {shared.url}"
    return message(f"{_esc(shared.talk.title)}: {shared.url}", [section(text)])


def cancel_notice_message(notice: CancelNotice) -> Message:
    card = notice.session
    at = f"*{_esc(card.guild_name)}* show-and-tell on {when(card.starts_at, notice.zone)}"
    reasons = {
        "skipped": f"The {at} was skipped by <@{notice.by}>",
        "rescheduled": f"<@{notice.by}> changed the schedule: the {at} no longer takes place",
        "cancelled": f"<@{notice.by}> cancelled your talk at the {at}",
    }
    text = (f":information_source: {reasons[notice.why]}, so *{_esc(notice.title)}* is off. "
            f"`/showtell propose {card.guild_slug}` books another session.")
    return notice_message(text)


def kudos_notice(given: KudosGiven) -> Message:
    return notice_message(f"You have already given kudos to *{_esc(given.talk.title)}*: one per person and talk.")


# -- App Home -------------------------------------------------------------------------------


def home_blocks(home: ShowTellHome, *, zone: ZoneInfo) -> list[Block]:
    """My coming talks, and my guilds' next sessions with a Propose button: at most 12 blocks."""
    blocks: list[Block] = [section("*Show-and-tell*")]
    if home.talks:
        lines = [f"• {when(t.session.starts_at, zone)} · *{_esc(t.session.guild_name)}* · `#{t.talk.id}` "
                 f"_{_esc(t.talk.title)}_" for t in home.talks]
        blocks.append(section("*Your talks*\n" + "\n".join(lines)))
    for card in home.sessions:
        text = f"*{_esc(card.guild_name)}* · {when(card.starts_at, zone)} · {card.room()}"
        button = ButtonElement(text="Propose a talk", action_id=PROPOSE_ACTION, value=card.guild_slug)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text), accessory=button))
    if not home.talks and not home.sessions:
        blocks.append(context("None of your guilds has a session coming. `/showtell list` shows every guild's."))
    return blocks
