"""Show-and-tell: recurring demo sessions per guild, booked slots, a waitlist, kudos and links.

The rules live here, in plain Python: who may schedule and skip (a guild's leads and
admins), who may cancel a talk (its presenter too), what fits in a session, who gets a freed
slot.  Every method runs in one unit of work and commits once; bad input raises
:class:`ShowTellError` whose message is meant for the person, and changes nothing.  People
are told through the :class:`ShowTellNotifier` port after the commit (no network call under
a lock); the scheduled reminders live in :mod:`bot.showtell.reminders`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.guilds.names import did_you_mean, plain
from bot.showtell.cards import session_card, session_cards, talk_card, zones_of
from bot.showtell.model import (
    Booked,
    CancelNotice,
    Cancelled,
    KudosGiven,
    MyTalk,
    NotAllowed,
    OfferAnswer,
    ProposalForm,
    ScheduleForm,
    Scheduled,
    SessionCard,
    SharedLink,
    ShowTellError,
    ShowTellHome,
    ShowTellNotifier,
    Skipped,
    when,
)
from bot.showtell.reminders import ReminderReport, Reminders, send_offers
from bot.showtell.schedule import EXAMPLE, SESSIONS_AHEAD, WEEKDAYS, Rhythm, parse_schedule
from bot.showtell.waitlist import offer_freed_slots
from bot.text import plural
from storage import showtell as repo
from storage.db import Database
from storage.guilds import (
    Guild,
    active_guild_names,
    active_guilds_of_member,
    guild_by_name,
    guild_by_slug,
    is_lead,
    lock_active_guild,
)
from storage.members import ensure_member
from storage.models import utcnow
from storage.repositories import record_activity
from storage.showtell import BOOKED, OFFERED, REMOVED, SCHEDULED, SKIPPED, ShowSession

MAX_TITLE, MAX_ABSTRACT, MAX_LINK = 150, 2000, 500
_TALK_ID = re.compile(r"^#?(\d{1,9})$")
_LINK = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class ShowTellService:
    def __init__(self, db: Database, *, zone: ZoneInfo, is_admin: Callable[[str], bool],
                 notifier: ShowTellNotifier, clock: Callable[[], datetime] = utcnow) -> None:
        self._db, self._zone, self._is_admin, self._notifier, self._clock = db, zone, is_admin, notifier, clock
        self._reminders = Reminders(db, notifier)

    # -- series --------------------------------------------------------------------

    def schedule_form(self, actor: str, guild_text: str) -> ScheduleForm:
        """What the schedule modal starts from; only leads and admins get it."""
        with self._db.unit_of_work() as uow:
            guild = self._guild(uow.session, guild_text)
            self._require_lead(uow.session, guild, actor, "set its show-and-tell schedule")
            series = repo.series_of_guild(uow.session, guild.id)
        rhythm = rhythm_of(series) if series else parse_schedule(EXAMPLE, default_zone=self._zone)
        zone = rhythm.zone if series else self._zone
        return ScheduleForm(guild.slug, guild.name, rhythm.every_weeks, WEEKDAYS[rhythm.weekday], f"{rhythm.at:%H:%M}",
                            zone.key, rhythm.slots, rhythm.minutes)

    def schedule(self, actor: str, guild_text: str, text: str) -> Scheduled:
        """Set or change a guild's series.  The next eight sessions exist at once; a coming
        session still on the new rhythm keeps its bookings (at the new time), the others are
        removed and the people booked on them told."""
        now = self._clock()
        with self._db.unit_of_work() as uow:
            s = uow.session
            ensure_member(s, actor)  # a write first: SQLite takes its write lock here
            guild = self._lock_guild(s, self._guild(s, guild_text))
            self._require_lead(s, guild, actor, "set its show-and-tell schedule")
            rhythm = parse_schedule(text, default_zone=self._zone)
            series = repo.series_of_guild(s, guild.id)
            if series is None or series.weekday != rhythm.weekday:  # a new day: count from its first session
                anchor = rhythm.first_day(after=now)
            else:  # the same day keeps its phase: every other Thursday stays on the same Thursdays
                anchor = series.anchor_on
            series = series or repo.Series(guild_id=guild.id)
            series.every_weeks, series.weekday = rhythm.every_weeks, rhythm.weekday
            series.local_time, series.zone = f"{rhythm.at:%H:%M}", rhythm.zone.key
            series.slots, series.minutes = rhythm.slots, rhythm.minutes
            series.anchor_on, series.updated_by, series.updated_at = anchor, actor, now
            s.add(series)
            s.flush()
            kept, gone = self._reshape(s, series, rhythm, now=now)
            cards, notices = self._close(s, gone, why="rescheduled", by=actor, now=now)
            self._add_sessions(s, series, rhythm, guild=guild.slug, actor=actor, now=now)
            cancelled = sum(len(c.talks) for c in cards)
            self._log(s, "showtell.scheduled", actor=actor, guild=guild.slug, subject=rhythm.as_text(), at=now,
                      kept=kept, cancelled=cancelled)
            upcoming = session_cards(s, repo.upcoming_sessions(s, after=now, guild_ids=[guild.id]))
            uow.commit()
        self._tell(notices)
        return Scheduled(guild.name, rhythm.as_text(), tuple(upcoming), kept, cancelled)

    def _reshape(self, s: Session, series: repo.Series, rhythm: Rhythm, *,
                 now: datetime) -> tuple[int, list[ShowSession]]:
        """Move the coming sessions still on the rhythm to its time (locked: no booking meanwhile);
        return how many talks they keep, and the sessions that go."""
        kept, gone = 0, []
        for row in repo.future_sessions(s, series.id, after=now, lock=True):
            if rhythm.falls_on(row.held_on, anchor=series.anchor_on) and rhythm.starts_at(row.held_on) > now:
                row.starts_at, row.minutes, row.slots = rhythm.starts_at(row.held_on), rhythm.minutes, rhythm.slots
                row.status = SCHEDULED if row.status == REMOVED else row.status
                kept += len(repo.booked_talks(s, [row.id])[row.id])
            elif row.status == SCHEDULED:
                row.status = REMOVED
                gone.append(row)
        return kept, gone

    def extend_series(self, *, now: datetime | None = None) -> int:
        """Keep the next eight sessions of every series in existence (the daily job); returns how many were made."""
        now = now or self._clock()
        with self._db.unit_of_work() as uow:
            made = 0
            for series in repo.all_series(uow.session):
                guild = uow.session.get(Guild, series.guild_id)
                if guild.archived_at is None:
                    made += self._add_sessions(uow.session, series, rhythm_of(series), guild=guild.slug, actor=None,
                                               now=now)
            uow.commit()
        return made

    def _add_sessions(self, s: Session, series: repo.Series, rhythm: Rhythm, *, guild: str, actor: str | None,
                      now: datetime) -> int:
        """Make the series' next eight sessions that do not exist yet; each new one is logged as planned."""
        days = rhythm.days(anchor=series.anchor_on, after=now)
        made = repo.add_sessions(s, series, {day: rhythm.starts_at(day) for day in days})
        for session_id in made:
            record_activity(s, kind="showtell.session_scheduled", actor=actor, guild=guild, subject=str(session_id),
                            at=now)
        return len(made)

    def skip(self, actor: str, guild_text: str, day_text: str) -> Skipped:
        """Cancel one session; the people booked or waiting on it are told."""
        day = _day(day_text)
        now = self._clock()
        with self._db.unit_of_work() as uow:
            s = uow.session
            ensure_member(s, actor)
            guild = self._guild(s, guild_text)
            self._require_lead(s, guild, actor, "skip its sessions")
            series = self._series(s, guild)
            zone = ZoneInfo(series.zone)
            if day < now.astimezone(zone).date():
                raise ShowTellError(f"{day.isoformat()} is in the past: pick a coming session.")
            found = repo.session_on(s, series.id, day)
            row = repo.lock_session(s, found.id) if found else None
            if row is None or row.status != SCHEDULED:
                raise ShowTellError(f"*{plain(guild.name)}* has no session on {day:%A} {day.isoformat()}. "
                                    f"{self._next_dates(s, guild, now)}")
            if row.starts_at <= now:
                raise ShowTellError(f"The session of {when(row.starts_at, zone)} has already started.")
            [card], notices = self._close(s, [row], why="skipped", by=actor, now=now)
            row.status = SKIPPED
            self._log(s, "showtell.session_skipped", actor=actor, guild=guild.slug, subject=day.isoformat(), at=now,
                      talks=len(card.talks))
            uow.commit()
        return Skipped(card, told=self._tell(notices))

    # -- booking -------------------------------------------------------------------

    def proposal_form(self, guild_text: str) -> ProposalForm:
        """The guild's coming sessions to choose from in the propose modal."""
        with self._db.unit_of_work() as uow:
            guild = self._guild(uow.session, guild_text)
            self._series(uow.session, guild)
            rows = repo.upcoming_sessions(uow.session, after=self._clock(), guild_ids=[guild.id], limit=SESSIONS_AHEAD)
            if not rows:
                raise ShowTellError(f"*{plain(guild.name)}* has no coming session: every one was skipped.")
            return ProposalForm(guild.slug, guild.name, tuple(session_cards(uow.session, rows)))

    def propose(self, user: str, *, session_id: int, title: str, abstract: str, minutes: int) -> Booked:
        """Book a slot, atomically: under the session's lock the room is counted and the talk
        added in one step.  A full session puts the proposal on its waitlist instead."""
        title, abstract = " ".join(title.split()), abstract.strip()
        _check_proposal(title, abstract, minutes)
        now = self._clock()
        with self._db.unit_of_work() as uow:
            s = uow.session
            row = repo.lock_session(s, session_id)
            ensure_member(s, user)
            card = self._coming(s, row, now)
            if minutes > card.minutes:
                raise ShowTellError(f"A talk at this session lasts at most {card.minutes} minutes.", field="minutes")
            mine = repo.talk_of_presenter(s, card.id, user)
            if mine is not None:
                raise ShowTellError(f"You already have a talk at this session: #{mine.id} _{plain(mine.title)}_.",
                                    field="session")
            if card.free_slots == 0:
                position = self._join_waitlist(s, card, user, title=title, abstract=abstract, minutes=minutes, now=now)
                card = session_card(s, row)
                uow.commit()
                return Booked(card, position=position)
            if minutes > card.free_minutes:
                left = plural(card.free_minutes, "minute") + (" is" if card.free_minutes == 1 else " are")
                raise ShowTellError(f"A {minutes}-minute talk does not fit: {left} left at the session of "
                                    f"{when(card.starts_at, card.zone)}. Pick a shorter length or another session.",
                                    field="minutes")
            talk = repo.add_talk(s, session_id=card.id, presenter=user, title=title, abstract=abstract,
                                 minutes=minutes, at=now)
            if talk is None:
                raise ShowTellError("That slot was taken a moment ago; please try again.", field="session")
            self._log(s, "showtell.talk_booked", actor=user, guild=card.guild_slug, subject=str(talk.id), at=now,
                      minutes=minutes, session=card.id)
            card = session_card(s, row)
            uow.commit()
        return Booked(card, talk_id=talk.id)

    def _join_waitlist(self, s: Session, card: SessionCard, user: str, *, title: str, abstract: str, minutes: int,
                       now: datetime) -> int:
        """Put the proposal on a full session's waitlist; its position among those waiting."""
        entry = repo.join_waitlist(s, session_id=card.id, member_id=user, title=title, abstract=abstract,
                                   minutes=minutes, at=now)
        if entry is None:
            raise ShowTellError("You are already on this session's waitlist.", field="session")
        self._log(s, "showtell.waitlisted", actor=user, guild=card.guild_slug, subject=str(card.id), at=now)
        waiting = [e.id for e in repo.open_entries(s, [card.id])[card.id] if e.status != OFFERED]
        return waiting.index(entry.id) + 1

    def cancel(self, actor: str, talk_ref: str) -> Cancelled:
        """The presenter, the guild's leads and admins may cancel a coming talk; the freed slot
        is offered to the waitlist."""
        talk_id = _talk_id(talk_ref)
        now = self._clock()
        with self._db.unit_of_work() as uow:
            s = uow.session
            found = repo.get_talk(s, talk_id)
            if found is None:
                raise ShowTellError(f"There is no talk #{talk_id}. `/showtell list` shows the talks and their numbers.")
            row = repo.lock_session(s, found.session_id)
            talk = repo.get_talk(s, talk_id)
            ensure_member(s, actor)
            if talk is None or row is None or talk.status != BOOKED:
                raise ShowTellError(f"Talk #{talk_id} was already cancelled.")
            guild = s.get(Guild, row.guild_id)
            if actor != talk.presenter and not self._leads_it(s, guild, actor):
                raise NotAllowed(f"Talk #{talk_id} is <@{talk.presenter}>'s: only they, the leads of "
                                 f"*{plain(guild.name)}* and admins can cancel it.")
            before = session_card(s, row)
            if row.starts_at <= now:
                raise ShowTellError(f"Talk #{talk_id} was at the session of {when(row.starts_at, before.zone)}: "
                                    "it is over.")
            cancelled = talk_card(talk)
            repo.cancel_talks(s, [talk.id], by=actor, at=now)
            self._log(s, "showtell.talk_cancelled", actor=actor, guild=guild.slug, subject=str(talk.id), at=now,
                      presenter=talk.presenter)
            offers = offer_freed_slots(s, row, now=now)
            card = session_card(s, row)
            zone = zones_of(s, [talk.presenter], fallback=card.zone)[talk.presenter]
            uow.commit()
        if actor != cancelled.presenter:
            self._tell([CancelNotice(cancelled.presenter, before, cancelled.title, "cancelled", actor, zone)])
        send_offers(self._notifier, offers)
        return Cancelled(cancelled, card, offers[0].member_id if offers else None)

    def answer_offer(self, user: str, entry_id: int, *, accept: bool) -> OfferAnswer:
        """Accept books the held slot; Pass offers it to the next person waiting."""
        now = self._clock()
        with self._db.unit_of_work() as uow:
            s = uow.session
            found = repo.get_entry(s, entry_id)
            if found is None:
                raise ShowTellError("This offer no longer exists.")
            if found.member_id != user:
                raise NotAllowed(f"This offer was made to <@{found.member_id}>, not to you.")
            row = repo.lock_session(s, found.session_id)
            entry = repo.get_entry(s, entry_id)
            problem = _offer_problem(entry, row, now=now)
            if problem:
                raise ShowTellError(problem)
            talk, offers = None, []
            if accept:
                talk = repo.add_talk(s, session_id=row.id, presenter=user, title=entry.title,
                                     abstract=entry.abstract, minutes=entry.minutes, at=now)
                if talk is None:
                    raise ShowTellError("You already have a talk at this session.")
                entry.status = repo.ACCEPTED
                self._log(s, "showtell.talk_booked", actor=user, guild=s.get(Guild, row.guild_id).slug,
                          subject=str(talk.id), at=now, minutes=entry.minutes, session=row.id, waitlist=True)
            else:
                entry.status = repo.PASSED
                s.flush()
                offers = offer_freed_slots(s, row, now=now)
            card = session_card(s, row)
            uow.commit()
        send_offers(self._notifier, offers)
        return OfferAnswer(card, accept, talk.id if talk else None)

    # -- after the talk --------------------------------------------------------------

    def kudos(self, user: str, talk_id: int) -> KudosGiven:
        """One kudos per person and talk: a double click counts once."""
        now = self._clock()
        with self._db.unit_of_work() as uow:
            s = uow.session
            talk = repo.get_talk(s, talk_id)
            if talk is None or talk.status != BOOKED:
                raise ShowTellError("This talk no longer exists: it was cancelled.")
            if talk.presenter == user:
                raise ShowTellError("That is your own talk: kudos are for the others to give.")
            ensure_member(s, user)
            added = repo.add_kudos(s, talk_id=talk.id, member_id=user, at=now)
            card = session_card(s, repo.get_session(s, talk.session_id))
            if added:
                self._log(s, "showtell.kudos", actor=user, guild=card.guild_slug, subject=str(talk.id), at=now,
                          presenter=talk.presenter)
            uow.commit()
        return KudosGiven(card, next(t for t in card.talks if t.id == talk_id), added)

    def share_link(self, user: str, talk_id: int, url: str) -> SharedLink:
        """The presenter's recording or slides, posted in the agenda's thread."""
        url = check_link(url)
        now = self._clock()
        with self._db.unit_of_work() as uow:
            s = uow.session
            talk = repo.get_talk(s, talk_id)
            if talk is None or talk.status != BOOKED:
                raise ShowTellError("This talk no longer exists: it was cancelled.", field="link")
            if talk.presenter != user:
                raise NotAllowed(f"Only <@{talk.presenter}>, who gave this talk, can share its link.", field="link")
            talk.link, talk.link_at = url, now
            row = repo.get_session(s, talk.session_id)
            card = session_card(s, row)
            self._log(s, "showtell.link_shared", actor=user, guild=card.guild_slug, subject=str(talk.id), at=now)
            uow.commit()
            thread = row.agenda_ts if row.agenda_channel == card.channel_id else None
        shared = SharedLink(card, replace(talk_card(talk), link=url), url, thread)
        self._notifier.post_link_in_thread(shared)
        return shared

    # -- reading ---------------------------------------------------------------------

    def upcoming(self, guild_text: str | None = None) -> tuple[SessionCard, ...]:
        """A guild's next four sessions, or the next session of every guild that has one."""
        now = self._clock()
        with self._db.unit_of_work() as uow:
            s = uow.session
            if not guild_text:
                return tuple(session_cards(s, repo.next_session_per_guild(s, after=now)))
            guild = self._guild(s, guild_text)
            self._series(s, guild)
            rows = repo.upcoming_sessions(s, after=now, guild_ids=[guild.id], limit=4)
            if not rows:
                raise ShowTellError(f"*{plain(guild.name)}* has no coming session: every one was skipped.")
            return tuple(session_cards(s, rows))

    def home(self, user: str) -> ShowTellHome:
        """My coming talks, and the next session of each of my guilds."""
        now = self._clock()
        with self._db.unit_of_work() as uow:
            s = uow.session
            talks = repo.upcoming_talks_of(s, user, after=now)
            rows = {t.session_id: repo.get_session(s, t.session_id) for t in talks}
            cards = {c.id: c for c in session_cards(s, list(rows.values()))}
            mine = tuple(MyTalk(cards[t.session_id], next(x for x in cards[t.session_id].talks if x.id == t.id))
                         for t in talks)
            guild_ids = [g.id for g in active_guilds_of_member(s, user)]
            sessions = session_cards(s, repo.next_session_per_guild(s, after=now, guild_ids=guild_ids, limit=5))
        return ShowTellHome(mine, tuple(sessions))

    def remind(self, *, now: datetime | None = None) -> ReminderReport:
        """The scheduled reminders (see :mod:`bot.showtell.reminders`)."""
        return self._reminders.run(now=now or self._clock())

    # -- helpers ---------------------------------------------------------------------

    def _guild(self, s: Session, text: str) -> Guild:
        text = " ".join(text.split()).lstrip("#")
        if not text:
            raise ShowTellError("Which guild? Give its slug, for example `/showtell list mlops`.")
        guild = guild_by_slug(s, text) or guild_by_name(s, text)
        if guild is None:
            raise ShowTellError(f"No guild called `{plain(text)}`. {did_you_mean(text, active_guild_names(s))}")
        if guild.archived_at is not None:
            raise ShowTellError(f"*{plain(guild.name)}* (`{guild.slug}`) has been archived.")
        return guild

    def _lock_guild(self, s: Session, guild: Guild) -> Guild:
        locked = lock_active_guild(s, guild.id)
        if locked is None:
            raise ShowTellError(f"*{plain(guild.name)}* has just been archived.")
        return locked

    def _leads_it(self, s: Session, guild: Guild, actor: str) -> bool:
        return self._is_admin(actor) or is_lead(s, guild_id=guild.id, member_id=actor)

    def _require_lead(self, s: Session, guild: Guild, actor: str, doing: str) -> None:
        if not self._leads_it(s, guild, actor):
            raise NotAllowed(f"Only the leads of *{plain(guild.name)}* and admins can {doing}.")

    def _series(self, s: Session, guild: Guild) -> repo.Series:
        series = repo.series_of_guild(s, guild.id)
        if series is None:
            raise ShowTellError(f"*{plain(guild.name)}* has no show-and-tell yet: a lead starts one with "
                                f"`/showtell schedule {guild.slug}`.")
        return series

    def _coming(self, s: Session, row: ShowSession | None, now: datetime) -> SessionCard:
        """The card of a locked session that can still take talks."""
        if row is None or row.status == REMOVED:
            raise ShowTellError("That session no longer exists: its series was changed.", field="session")
        card = session_card(s, row)
        if row.status == SKIPPED:
            raise ShowTellError(f"The session of {when(card.starts_at, card.zone)} was skipped.", field="session")
        if row.starts_at <= now:
            raise ShowTellError(f"The session of {when(card.starts_at, card.zone)} is in the past.", field="session")
        return card

    def _next_dates(self, s: Session, guild: Guild, now: datetime) -> str:
        cards = session_cards(s, repo.upcoming_sessions(s, after=now, guild_ids=[guild.id], limit=3))
        dates = ", ".join(c.starts_at.astimezone(c.zone).date().isoformat() for c in cards)
        return f"Its next sessions: {dates}." if dates else "It has no coming sessions."

    def _close(self, s: Session, rows: list[ShowSession], *, why: str, by: str,
               now: datetime) -> tuple[list[SessionCard], list[CancelNotice]]:
        """Cancel the talks and waitlist places of sessions that go away; who to tell, and how."""
        cards = session_cards(s, rows)
        entries = repo.open_entries(s, [r.id for r in rows])
        notices = []
        for card in cards:
            people = [(t.presenter, t.title) for t in card.talks] + [(e.member_id, e.title) for e in entries[card.id]]
            zones = zones_of(s, [p for p, _ in people], fallback=card.zone)
            notices += [CancelNotice(p, card, title, why, by, zones[p]) for p, title in people]
            repo.cancel_talks(s, [t.id for t in card.talks], by=by, at=now)
            repo.close_entries(s, card.id, status=repo.DROPPED)
        return cards, notices

    def _tell(self, notices: list[CancelNotice]) -> int:
        return sum(1 for notice in notices if self._notifier.tell_cancelled(notice))

    @staticmethod
    def _log(s: Session, kind: str, *, actor: str, guild: str, subject: str, at: datetime, **figures: object) -> None:
        record_activity(s, kind=kind, actor=actor, guild=guild, subject=subject, figures=figures, at=at)


def rhythm_of(series: repo.Series) -> Rhythm:
    hour, minute = (int(part) for part in series.local_time.split(":"))
    return Rhythm(series.every_weeks, series.weekday, time(hour, minute), ZoneInfo(series.zone), series.slots,
                  series.minutes)


def check_link(url: str) -> str:
    """The link as it will be posted, or :class:`ShowTellError` for the link field (a form checks it first)."""
    url = url.strip()
    if len(url) > MAX_LINK or not _LINK.match(url):
        raise ShowTellError("A link starts with https:// (a recording, slides, a repository…).", field="link")
    return url


def _check_proposal(title: str, abstract: str, minutes: int) -> None:
    if not title:
        raise ShowTellError("Give your talk a title.", field="title")
    if len(title) > MAX_TITLE:
        raise ShowTellError(f"A title has at most {MAX_TITLE} characters; this one has {len(title)}.", field="title")
    if len(abstract) > MAX_ABSTRACT:
        raise ShowTellError(f"An abstract has at most {MAX_ABSTRACT} characters; this one has {len(abstract)}.",
                            field="abstract")
    if minutes < 1:
        raise ShowTellError("Say how long your talk is.", field="minutes")


def _offer_problem(entry: repo.WaitlistEntry, row: ShowSession, *, now: datetime) -> str | None:
    """Why an Accept or Pass on this offer cannot be taken, or ``None``."""
    lapsed = entry.offer_expires_at is not None and entry.offer_expires_at <= now
    if entry.status == repo.ACCEPTED:
        return "You already accepted this slot: your talk is booked."
    if entry.status == repo.PASSED:
        return "You already passed on this slot; it went to the next person waiting."
    if entry.status == repo.EXPIRED or (entry.status == OFFERED and lapsed):
        return "This offer has expired: nobody answered within 24 hours, so it went to the next person waiting."
    if entry.status != OFFERED or row.status != SCHEDULED or row.starts_at <= now:
        return "This session no longer takes talks: it was skipped, changed or has started."
    return None


def _talk_id(text: str) -> int:
    match = _TALK_ID.match(text.strip())
    if match is None:
        raise ShowTellError(f"`{plain(text)}` is not a talk number: `/showtell list` shows them, like `#12`.")
    return int(match.group(1))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ShowTellError(f"`{plain(text)}` is not a date: use YYYY-MM-DD, like `2026-12-10`.") from None
