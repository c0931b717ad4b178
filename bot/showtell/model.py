"""What show-and-tell talks about, and the port it tells people through.

Plain data: sessions and talks as the views show them, the notices the service hands to
its :class:`ShowTellNotifier` (Slack in production: :mod:`handlers.showtell.notifier`),
and :class:`ShowTellError`, whose message is the reply to the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.text import plural


class ShowTellError(Exception):
    """Bad input for show-and-tell; ``str(error)`` is the reply and nothing was changed.

    ``field`` names the form field it is about, so a modal can show it beside that field.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(ShowTellError):
    """The person may not do this (a lead-only action, someone else's talk)."""


@dataclass(frozen=True)
class TalkCard:
    id: int
    presenter: str
    title: str
    abstract: str
    minutes: int
    kudos: int = 0
    link: str | None = None
    booked_at: datetime | None = None


@dataclass(frozen=True)
class SessionCard:
    id: int
    guild_slug: str
    guild_name: str
    channel_id: str
    starts_at: datetime  # UTC
    minutes: int
    slots: int
    zone: ZoneInfo  # the series' zone: the wall clock the session keeps
    talks: tuple[TalkCard, ...] = ()
    held_slots: int = 0  # slots offered to someone on the waitlist, awaiting their answer
    held_minutes: int = 0
    waiting: int = 0  # people on the waitlist, not offered a slot yet

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)

    @property
    def free_slots(self) -> int:
        return max(self.slots - len(self.talks) - self.held_slots, 0)

    @property
    def free_minutes(self) -> int:
        return max(self.minutes - sum(t.minutes for t in self.talks) - self.held_minutes, 0)

    def room(self) -> str:
        """``2 slots free (30 minutes)``, or that it is full and how many wait."""
        if self.free_slots == 0:
            return "full" + (f" · {self.waiting} on the waitlist" if self.waiting else "")
        return f"{plural(self.free_slots, 'slot')} free ({plural(self.free_minutes, 'minute')})"


@dataclass(frozen=True)
class Booked:
    """A proposal's outcome: a talk (``position`` is ``None``) or a place on the waitlist."""

    session: SessionCard
    talk_id: int | None = None
    position: int | None = None


@dataclass(frozen=True)
class ScheduleForm:
    """What the schedule modal starts from: the guild's current schedule, or a suggested one."""

    guild_slug: str
    guild_name: str
    every_weeks: int
    weekday: str  # monday … sunday
    at: str  # HH:MM
    zone: str
    slots: int
    minutes: int


@dataclass(frozen=True)
class Scheduled:
    guild_name: str
    schedule: str
    sessions: tuple[SessionCard, ...]
    kept_talks: int  # booked talks whose session still exists
    cancelled_talks: int  # talks whose session went away (their presenters were told)


@dataclass(frozen=True)
class Skipped:
    session: SessionCard
    told: int


@dataclass(frozen=True)
class Cancelled:
    talk: TalkCard
    session: SessionCard
    offered_to: str | None  # the person on the waitlist offered the freed slot


@dataclass(frozen=True)
class OfferAnswer:
    session: SessionCard
    accepted: bool
    talk_id: int | None


@dataclass(frozen=True)
class KudosGiven:
    session: SessionCard
    talk: TalkCard
    added: bool  # False: this person had already given kudos for this talk


@dataclass(frozen=True)
class MyTalk:
    session: SessionCard
    talk: TalkCard


@dataclass(frozen=True)
class ShowTellHome:
    talks: tuple[MyTalk, ...]  # my upcoming talks
    sessions: tuple[SessionCard, ...]  # the next session of each of my guilds


# -- what the service tells people, through its port ---------------------------------------


@dataclass(frozen=True)
class Reminder:
    """To the presenter the day before; ``zone`` is theirs (or the series' when unknown)."""

    session: SessionCard
    talk: TalkCard
    zone: ZoneInfo


@dataclass(frozen=True)
class SlotOffer:
    entry_id: int
    member_id: str
    session: SessionCard
    title: str
    minutes: int
    expires_at: datetime
    zone: ZoneInfo


@dataclass(frozen=True)
class LinkRequest:
    session: SessionCard
    talk: TalkCard


@dataclass(frozen=True)
class SharedLink:
    session: SessionCard
    talk: TalkCard
    url: str
    thread_ts: str | None  # the agenda message's ts: the link goes in its thread


@dataclass(frozen=True)
class CancelNotice:
    """Someone's talk or waitlist place is gone: ``why`` is ``skipped``, ``rescheduled`` or ``cancelled``."""

    member_id: str
    session: SessionCard
    title: str
    why: str
    by: str | None
    zone: ZoneInfo


class ShowTellNotifier(Protocol):
    """How show-and-tell reaches people.  Each method says whether it got through, so a
    reminder that did not is released for the next run to try again."""

    def dm_presenter(self, reminder: Reminder) -> bool: ...

    def post_agenda(self, session: SessionCard) -> str | None:
        """Post the agenda in the guild's channel; the message's ts (for its thread), or ``None``."""
        ...

    def nudge_channel(self, session: SessionCard) -> bool: ...

    def offer_slot(self, offer: SlotOffer) -> bool: ...

    def ask_for_link(self, request: LinkRequest) -> bool: ...

    def post_link_in_thread(self, link: SharedLink) -> bool: ...

    def tell_cancelled(self, notice: CancelNotice) -> bool: ...


@dataclass(frozen=True)
class ProposalForm:
    """What the propose modal offers: the guild's upcoming sessions, with their room."""

    guild_slug: str
    guild_name: str
    sessions: tuple[SessionCard, ...]


def when(at: datetime, zone: ZoneInfo) -> str:
    """``Thursday 10 December 2026, 16:00 CET``: a session's time on a given wall clock."""
    local = at.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M %Z}"
