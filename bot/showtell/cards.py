"""Sessions as people see them: rows read in a few queries and turned into :class:`SessionCard`s.

Shared by the service (replies, the agenda, App Home) and the reminders; whoever calls
them owns the unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.showtell.model import SessionCard, TalkCard
from storage import showtell as repo
from storage.showtell import OFFERED, ShowSession, Talk


def session_cards(session: Session, rows: list[ShowSession]) -> list[SessionCard]:
    """One card per row, in the rows' order: its booked talks with their kudos, held slots, the waitlist."""
    ids = [row.id for row in rows]
    talks = repo.booked_talks(session, ids)
    entries = repo.open_entries(session, ids)
    kudos = repo.kudos_counts(session, [t.id for found in talks.values() for t in found])
    guilds = repo.guilds_by_id(session, list({row.guild_id for row in rows}))
    zones = repo.zones_of_series(session, list({row.series_id for row in rows}))
    cards = []
    for row in rows:
        held = [e for e in entries[row.id] if e.status == OFFERED]
        guild = guilds[row.guild_id]
        cards.append(SessionCard(
            id=row.id, guild_slug=guild.slug, guild_name=guild.name, channel_id=guild.channel_id,
            starts_at=row.starts_at, minutes=row.minutes, slots=row.slots, zone=ZoneInfo(zones[row.series_id]),
            talks=tuple(talk_card(t, kudos.get(t.id, 0)) for t in talks[row.id]),
            held_slots=len(held), held_minutes=sum(e.minutes for e in held),
            waiting=len(entries[row.id]) - len(held),
        ))
    return cards


def session_card(session: Session, row: ShowSession) -> SessionCard:
    return session_cards(session, [row])[0]


def talk_card(talk: Talk, kudos: int = 0) -> TalkCard:
    return TalkCard(id=talk.id, presenter=talk.presenter, title=talk.title, abstract=talk.abstract,
                    minutes=talk.minutes, kudos=kudos, link=talk.link, booked_at=talk.booked_at)


def zones_of(session: Session, member_ids: Iterable[str], *, fallback: ZoneInfo) -> dict[str, ZoneInfo]:
    """Each member's own zone (cached from ``users.info``), or ``fallback`` when unknown or invalid."""
    ids = list(dict.fromkeys(member_ids))
    known = repo.member_zones(session, ids)
    found = {}
    for member_id in ids:
        try:
            found[member_id] = ZoneInfo(known[member_id]) if member_id in known else fallback
        except (ValueError, KeyError):
            found[member_id] = fallback
    return found
