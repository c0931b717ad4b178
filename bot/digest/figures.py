"""The five stages of the flywheel, the figures that measure each, and a digest built from them.

Safety → Trust → Adoption → Impact → Feedback → Safety.  Every figure is counted in SQL
over the activity log (:mod:`storage.digest`) with the tallies declared here; this module
turns those per-week numbers into lines with a change and a trend, calls out the weakest
stage, and says it all in plain text.  No Slack, no language model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.approvals.model import POLICY_ACTOR, SLA_ACTOR
from bot.digest import trend
from bot.digest.weeks import IsoWeek
from storage.digest import ORG, Median, Tally

TREND_WEEKS = 8
SYSTEM_ACTORS = (POLICY_ACTOR, SLA_ACTOR)  # not people: never builders, never thanked

# Show-and-tell's activity kinds (bot/showtell): held sessions and talks are logged once, at their start.
TALK_HELD, SESSION_HELD, SESSION_SCHEDULED = "showtell.talk_held", "showtell.session_held", "showtell.session_scheduled"
KUDOS, LINK_SHARED = "showtell.kudos", "showtell.link_shared"
DECIDED = ("approval.auto_approved", "approval.approved", "approval.rejected")
CLOSED = (*DECIDED, "approval.expired")
CHECKIN = "mentoring.checkin_answered"

TALLIES: dict[str, Tally] = {
    "reviewed": Tally(DECIDED),
    "rejected": Tally(("approval.rejected",)),
    "high_risk": Tally(("approval.requested",), key="tier", value="high"),
    "sla_breaches": Tally(("approval.sla_breached",)),
    "rollbacks": Tally(("model.rolled_back",)),
    "auto_approved": Tally(("approval.auto_approved",)),
    "closed": Tally(CLOSED),
    "closed_in_sla": Tally(CLOSED, unless="approval.sla_breached"),
    "joined": Tally(("guild.joined",)),
    "left": Tally(("guild.left",)),
    "builders": Tally(None, distinct="actor", actors_except=SYSTEM_ACTORS),
    "matches": Tally(("mentoring.matched",)),
    "matches_answered": Tally((CHECKIN,), distinct="subject"),
    "matches_met": Tally((CHECKIN,), key="answer", value="yes", distinct="subject"),
    "sessions_held": Tally((SESSION_HELD,)),
    "talks_held": Tally((TALK_HELD,)),
    "sessions_planned": Tally((SESSION_SCHEDULED,)),
    "versions": Tally(("model.version_registered",)),
    "deployments": Tally(("model.deployed",)),
    "new_production": Tally(("model.deployed", "model.alias_set"), key="alias", value="production", distinct="subject"),
    "checkins": Tally((CHECKIN,)),
    "kudos": Tally((KUDOS,)),
    "links": Tally((LINK_SHARED,)),
    "feedback": Tally((CHECKIN, KUDOS, LINK_SHARED)),
}
MEDIANS: dict[str, Median] = {"hours_to_decision": Median(DECIDED, "hours_to_decision")}

Unit = Literal["count", "share", "hours"]


@dataclass(frozen=True)
class FigureDef:
    key: str  # a tally (a median for hours)
    label: str
    unit: Unit = "count"
    of: str | None = None  # a share: the tally ``key`` divided by the tally ``of``


@dataclass(frozen=True)
class StageDef:
    name: str
    figures: tuple[FigureDef, ...]
    headline: FigureDef  # what the weakest-stage rule compares with its own median


_IN_SLA = FigureDef("closed_in_sla", "Decided within SLA", "share", of="closed")
_BUILDERS = FigureDef("builders", "Active builders")
_DEPLOYMENTS = FigureDef("deployments", "Deployments completed")
_REVIEWED = FigureDef("reviewed", "Requests reviewed")

STAGES: tuple[StageDef, ...] = (
    StageDef("Safety", (
        _REVIEWED, FigureDef("rejected", "Rejected"), FigureDef("high_risk", "High-risk requests"),
        FigureDef("sla_breaches", "SLA breaches"), FigureDef("rollbacks", "Rollbacks"),
    ), _REVIEWED),
    StageDef("Trust", (
        FigureDef("hours_to_decision", "Median hours to decision", "hours"),
        FigureDef("auto_approved", "Auto-approved by policy", "share", of="reviewed"),
        _IN_SLA,
    ), _IN_SLA),
    StageDef("Adoption", (
        FigureDef("joined", "Members joined"), FigureDef("left", "Members left"), _BUILDERS,
        FigureDef("matches", "Mentoring matches"),
        FigureDef("matches_met", "Check-ins that met", "share", of="matches_answered"),
        FigureDef("sessions_held", "Show-and-tells held"), FigureDef("talks_held", "Talks given"),
        FigureDef("sessions_planned", "Show-and-tells planned"),
    ), _BUILDERS),
    StageDef("Impact", (
        FigureDef("versions", "Model versions registered"), _DEPLOYMENTS,
        FigureDef("new_production", "Models with a new production version"),
    ), _DEPLOYMENTS),
    StageDef("Feedback", (
        FigureDef("checkins", "Check-in answers"), FigureDef("kudos", "Kudos"),
        FigureDef("links", "Links shared after talks"),
    ), FigureDef("feedback", "Feedback signals")),
)


@dataclass(frozen=True)
class FigureLine:
    """One figure over the trend's weeks, oldest first; the last is the digest's week."""

    label: str
    unit: Unit
    series: tuple[float | int | None, ...]

    @property
    def current(self) -> float | int | None:
        return self.series[-1]

    @property
    def change(self) -> float | int | None:
        return trend.change(self.series[-1], self.series[-2]) if len(self.series) > 1 else None

    @property
    def sparkline(self) -> str:
        return trend.sparkline(self.series)

    def value_text(self) -> str:
        return format_value(self.current, self.unit)

    def change_text(self) -> str:
        """``+3``, ``−2``, ``±0``, ``+5 pts``, ``−1.5 h``; empty when there is nothing to compare."""
        delta = self.change
        if delta is None:
            return ""
        if self.unit == "share":
            delta, suffix = round(delta * 100), " pts"
        elif self.unit == "hours":
            delta, suffix = round(delta, 1), " h"
        else:
            suffix = ""
        if delta == 0:
            return f"±0{suffix}"
        sign = "+" if delta > 0 else "−"
        return f"{sign}{_number(abs(delta))}{suffix}"


@dataclass(frozen=True)
class Stage:
    name: str
    figures: tuple[FigureLine, ...]
    headline: FigureLine


@dataclass(frozen=True)
class Digest:
    """A guild's or the org's flywheel for one ISO week, with its trend: plain data."""

    scope: str  # a guild's slug, or ORG
    title: str  # the guild's name, or "the whole org"
    channel_id: str | None  # where it is posted
    week: IsoWeek
    stages: tuple[Stage, ...]
    weakest: str  # one sentence
    contributors: tuple[str, ...]  # Slack user ids, most active first, at most three
    so_far: bool = False  # a preview of a week not over yet

    @property
    def is_org(self) -> bool:
        return self.scope == ORG

    def weeks(self) -> list[IsoWeek]:
        return [self.week.shift(i - TREND_WEEKS + 1) for i in range(TREND_WEEKS)]


def build_stages(
    counts: Sequence[Mapping[str, Any]], middles: Sequence[Mapping[str, Any]], *, first_week: int = 0
) -> tuple[Stage, ...]:
    """The five stages from per-week tallies and medians (weeks before ``first_week`` did not exist)."""

    def line(figure: FigureDef) -> FigureLine:
        series = tuple(
            None if i < first_week else _value(figure, counts[i], middles[i]) for i in range(len(counts))
        )
        return FigureLine(figure.label, figure.unit, series)

    return tuple(
        Stage(stage.name, tuple(line(f) for f in stage.figures), line(stage.headline)) for stage in STAGES
    )


def _value(figure: FigureDef, counts: Mapping[str, Any], middles: Mapping[str, Any]) -> float | int | None:
    if figure.unit == "hours":
        return middles.get(figure.key)
    if figure.unit == "share":
        whole = counts.get(figure.of or "", 0)
        return counts.get(figure.key, 0) / whole if whole else None
    return counts.get(figure.key, 0)


def weakest_sentence(stages: Sequence[Stage]) -> str:
    """The stage lowest against its own median over the trend's weeks, in one sentence."""
    compared = []
    for order, stage in enumerate(stages):
        ratio = trend.against_median(stage.headline.series)
        if ratio is not None:
            compared.append((ratio[0], order, stage, ratio[1]))
    if not compared:
        return "Too little history yet to single out a stage: the flywheel needs a few weeks of activity."
    ratio, _, stage, middle = min(compared)
    headline = stage.headline
    figures = (
        f"{headline.label[0].lower()}{headline.label[1:]} at {headline.value_text()} this week, "
        f"against an {TREND_WEEKS}-week median of {format_value(middle, headline.unit)}"
    )
    if ratio < 1:
        return f"{stage.name} needs attention: {figures}."
    return f"Every stage is at or above its {TREND_WEEKS}-week median; {stage.name} is closest to it ({figures})."


def format_value(value: float | int | None, unit: Unit) -> str:
    if value is None:
        return "–"
    if unit == "share":
        return f"{round(value * 100)}%"
    if unit == "hours":
        return f"{_number(round(value, 1))} h"
    return _number(value)


def _number(value: float | int) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
