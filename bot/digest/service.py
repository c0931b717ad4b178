"""The digest's use cases: compute a week's digests, preview the week so far, post what is due once.

Exactly once per (channel, ISO week): each digest is claimed in the ledger
(:mod:`storage.digest`) before it is narrated and posted, and marked posted after.  Two
schedulers, a second run, a restart: the claim decides.  A sender that died mid-way leaves
a claim that is taken again after the lease; a failed post is retried with backoff
(15 min, 30 min, 1 h) and after :data:`MAX_ATTEMPTS` recorded as failed for good.  Only the
latest due week is ever sent: a Monday missed while the bot was down is caught up late,
older weeks are not.  The one window left: a process that dies after Slack accepted the
message and before the ledger says so posts it again once the lease is over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.digest.chart import draw_chart
from bot.digest.figures import MEDIANS, SYSTEM_ACTORS, TALLIES, TREND_WEEKS, Digest, build_stages, weakest_sentence
from bot.digest.narrative import narrate
from bot.digest.ports import DigestNotPosted, DigestPublisher, Narrator
from bot.digest.weeks import WEEKDAYS, IsoWeek, bounds, due_week, parse_slot
from storage import digest as store
from storage.db import Database
from storage.guilds import is_lead
from storage.models import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
FIRST_RETRY = timedelta(minutes=15)
ORG_TITLE = "the whole org"
SCHEDULE_USAGE = "`/factory digest schedule <guild> <weekday> <HH:MM>` or `/factory digest schedule <guild> off`."


class DigestError(Exception):
    """A request about digests that cannot be met; the message is meant for the person."""


@dataclass(frozen=True)
class Sent:
    """What became of one digest: ``sent`` now, already ``posted`` (or being posted, ``sending``),
    or ``failed`` (``gave_up`` after the last attempt)."""

    scope: str
    channel_id: str
    week: str
    outcome: str
    ts: str | None = None
    detail: str = ""
    gave_up: bool = False


@dataclass
class SendReport:
    """What one run did, for the job's last result in ``factorybot jobs list``."""

    week: str
    posted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    org_skipped: bool = False

    def add(self, sent: Sent) -> None:
        if sent.outcome == "sent":
            self.posted.append(sent.scope)
        elif sent.outcome == "failed":
            self.failed.append(f"{sent.scope}: {sent.detail}" + (", gave up" if sent.gave_up else ""))

    def __str__(self) -> str:
        if not self.posted and not self.failed:
            return f"{self.week}: nothing due"
        text = f"{self.week}: {len(self.posted)} posted"
        if self.failed:
            text += f", {len(self.failed)} failed ({'; '.join(self.failed)})"
        return text + ("; org digest off (FACTORY_DIGEST_CHANNEL unset)" if self.org_skipped else "")


@dataclass(frozen=True)
class _Target:
    scope: str
    title: str
    channel_id: str | None
    created_at: datetime | None = None


class DigestService:
    def __init__(
        self, db: Database, *, zone: ZoneInfo, publisher: DigestPublisher, narrator: Narrator | None = None,
        org_channel: str | None = None, is_admin: Callable[[str], bool] = lambda _user: False,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db, self._zone, self._publisher, self._narrator = db, zone, publisher, narrator
        self._org_channel, self._is_admin, self._clock = org_channel, is_admin, clock

    # -- reading ----------------------------------------------------------------------------

    def digests(
        self, week: IsoWeek, *, guilds: bool = True, guild: str | None = None, org: bool = True, so_far: bool = False
    ) -> list[Digest]:
        """The digests of ``week``: every open guild's (only ``guild``'s when given), then the org's.
        A constant number of SQL statements, whatever the number of guilds."""
        edges = bounds(week, TREND_WEEKS, self._zone)
        found: list[Digest] = []
        with self._db.unit_of_work() as uow:
            session = uow.session
            if guilds:
                rows = store.open_guilds(session, guild)
                if guild is not None and not rows:
                    raise DigestError(f"No open guild called `{guild}`.")
                targets = [_Target(g.slug, g.name, g.channel_id, g.created_at) for g in rows]
                found += self._build(session, week, edges, targets, {"per_guild": True, "guild": guild}, so_far)
            if org:
                targets = [_Target(store.ORG, ORG_TITLE, self._org_channel)]
                found += self._build(session, week, edges, targets, {}, so_far)
        return found

    def preview(self, guild: str | None = None) -> tuple[Digest, str]:
        """The digest of the week so far (a guild's, or the org's) with its narrative; nothing is posted."""
        week = IsoWeek.of(self._clock(), self._zone)
        digest = self.digests(week, guilds=bool(guild), guild=guild, org=not guild, so_far=True)[0]
        return digest, narrate(self._narrator, digest)

    def _build(
        self, session: Session, week: IsoWeek, edges: list[datetime], targets: list[_Target],
        scope: dict[str, Any], so_far: bool,
    ) -> list[Digest]:
        if not targets:
            return []
        counts = store.tallies(session, TALLIES, bounds=edges, **scope)
        middles = store.medians(session, MEDIANS, bounds=edges, **scope)
        top = store.top_actors(session, start=edges[-2], end=edges[-1], actors_except=SYSTEM_ACTORS, **scope)
        no_counts = [dict.fromkeys(TALLIES, 0) for _ in range(TREND_WEEKS)]
        no_middles = [dict.fromkeys(MEDIANS) for _ in range(TREND_WEEKS)]
        digests = []
        for target in targets:
            first_week = sum(1 for end in edges[1:] if target.created_at is not None and end <= target.created_at)
            stages = build_stages(
                counts.get(target.scope, no_counts), middles.get(target.scope, no_middles), first_week=first_week
            )
            digests.append(Digest(
                target.scope, target.title, target.channel_id, week, stages, weakest_sentence(stages),
                tuple(top.get(target.scope, ())), so_far,
            ))
        return digests

    # -- posting ------------------------------------------------------------------------------

    def send_due(self, *, now: datetime | None = None) -> SendReport:
        """Post every digest due at ``now`` that is not posted yet: each guild's to its channel once its
        own slot has come (Monday 09:00 unless a lead moved it; none when turned off) and the org's to
        ``FACTORY_DIGEST_CHANNEL``; a failure is retried on a later run."""
        now = now or self._clock()
        default_week = due_week(now, self._zone)
        report = SendReport(default_week.label, org_skipped=self._org_channel is None)
        with self._db.unit_of_work() as uow:
            by_week: dict[IsoWeek, dict[str, str]] = {}
            for g in store.open_guilds(uow.session):
                if not g.off:
                    by_week.setdefault(self._due_week(now, g.schedule), {})[g.slug] = g.channel_id
            if self._org_channel:
                by_week.setdefault(default_week, {})[store.ORG] = self._org_channel
            posts = {week: store.posts_of_week(uow.session, week.label) for week in by_week}
        if report.org_skipped:
            log.info("org digest for %s not sent: FACTORY_DIGEST_CHANNEL is not set", default_week.label)
        for week, channels in sorted(by_week.items()):
            due = {scope for scope, channel in channels.items() if _may_send(posts[week].get(channel), now)}
            if not due:
                continue
            for digest in self.digests(week, guilds=any(scope != store.ORG for scope in due), org=store.ORG in due):
                if digest.scope in due:
                    report.add(self._send(digest, now))
        return report

    def _due_week(self, now: datetime, schedule: tuple[int, int, int] | None) -> IsoWeek:
        if schedule is None:
            return due_week(now, self._zone)
        weekday, hour, minute = schedule
        return due_week(now, self._zone, weekday=weekday, at=time(hour, minute))

    def schedule(self, guild: str, slot: Sequence[str], *, user_id: str, now: datetime | None = None) -> str:
        """``/factory digest schedule <guild> <weekday> <HH:MM>`` or ``<guild> off`` (the guild's leads
        and admins): move the guild's weekly digest in ``FACTORY_TIMEZONE``, or turn it off."""
        off = [part.lower() for part in slot] == ["off"]
        if not off and len(slot) != 2:
            raise DigestError(f"Usage: {SCHEDULE_USAGE}")
        try:
            weekday, at = (None, time(0)) if off else parse_slot(*slot)
        except ValueError as exc:
            raise DigestError(f"{exc} For example: `/factory digest schedule {guild} thursday 14:30`.") from exc
        with self._db.unit_of_work() as uow:
            found = store.guild_id(uow.session, guild)
            if found is None:
                raise DigestError(f"No open guild called `{guild}`.")
            if not (self._is_admin(user_id) or is_lead(uow.session, guild_id=found, member_id=user_id)):
                raise DigestError(f"Only the leads of `{guild}` and factorybot admins can move its digest.")
            store.set_schedule(uow.session, guild_id=found, weekday=weekday, hour=at.hour, minute=at.minute,
                               by=user_id, now=now or self._clock())
            uow.commit()
        if weekday is None:
            return (f"The weekly digest of `{guild}` is off. "
                    f"Turn it back on with `/factory digest schedule {guild} monday 09:00`.")
        return (f"The weekly digest of `{guild}` now goes out on {WEEKDAYS[weekday].capitalize()}s "
                f"at {at:%H:%M} ({self._zone.key}), about the week before.")

    def send_now(self, target: str, *, user_id: str, now: datetime | None = None) -> list[Sent]:
        """``/factory digest send <guild|org|all>`` (admins): last week's digests, posted now unless
        they already were (then the answer points at the post)."""
        if not self._is_admin(user_id):
            raise DigestError("Only factorybot admins can post digests by hand; anyone can `/factory digest preview`.")
        now = now or self._clock()
        week = IsoWeek.of(now, self._zone).shift(-1)
        if target == store.ORG and self._org_channel is None:
            raise DigestError("The org digest has no channel yet: set FACTORY_DIGEST_CHANNEL.")
        digests = self.digests(
            week, guilds=target != store.ORG, guild=None if target in ("all", store.ORG) else target,
            org=target in ("all", store.ORG) and self._org_channel is not None,
        )
        return [self._send(digest, now) for digest in digests]

    def _send(self, digest: Digest, now: datetime) -> Sent:
        """Claim, narrate, post, record: once per (channel, week)."""
        week, channel_id = digest.week.label, digest.channel_id or ""
        with self._db.unit_of_work() as uow:
            attempt = store.claim_post(uow.session, channel_id=channel_id, week=week, scope=digest.scope, now=now)
            uow.commit()
            if not attempt:  # posted, being posted, or failed: as the ledger says
                post = store.posts_of_week(uow.session, week)[channel_id]
                gave_up = post.status == store.FAILED and post.next_attempt_at is None
                return Sent(digest.scope, channel_id, week, post.status, post.message_ts, post.detail, gave_up)
        try:
            chart = draw_chart(digest) if digest.is_org else None
            ts = self._publisher.publish(channel_id, digest, narrative=narrate(self._narrator, digest), chart=chart)
        except Exception as exc:  # recorded and retried, never lost
            detail = str(exc) if isinstance(exc, DigestNotPosted) else f"{type(exc).__name__}: {exc}"
            retry_at = now + FIRST_RETRY * 2 ** (attempt - 1) if attempt < MAX_ATTEMPTS else None
            log.warning("digest %s %s to %s not posted (attempt %d): %s",
                        digest.scope, week, channel_id, attempt, detail)
            with self._db.unit_of_work() as uow:
                store.mark_failed(uow.session, channel_id=channel_id, week=week, detail=detail, retry_at=retry_at)
                uow.commit()
            return Sent(digest.scope, channel_id, week, "failed", detail=detail, gave_up=retry_at is None)
        with self._db.unit_of_work() as uow:
            store.mark_posted(uow.session, channel_id=channel_id, week=week, ts=ts, now=now)
            uow.commit()
        return Sent(digest.scope, channel_id, week, "sent", ts=ts)


def _may_send(post: store.DigestPost | None, now: datetime) -> bool:
    """Worth trying to claim (the claim itself decides, under concurrency)."""
    if post is None:
        return True
    if post.status == store.SENDING:
        return post.claimed_at < now - store.LEASE
    return post.status == store.FAILED and post.next_attempt_at is not None and post.next_attempt_at <= now
