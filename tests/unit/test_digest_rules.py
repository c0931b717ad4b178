"""The digest's pure rules: ISO weeks and due weeks, sparklines, changes, the weakest stage, the template."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.digest import trend
from bot.digest.figures import STAGES, TALLIES, TREND_WEEKS, Digest, FigureLine, build_stages, weakest_sentence
from bot.digest.narrative import facts, template
from bot.digest.weeks import IsoWeek, bounds, due_week

PARIS = ZoneInfo("Europe/Paris")


def test_iso_weeks_in_the_bots_zone() -> None:
    sunday_late = datetime(2026, 11, 29, 23, 30, tzinfo=PARIS)  # already Monday in Tokyo
    assert IsoWeek.of(sunday_late, PARIS).label == "2026-W48"
    assert IsoWeek.of(sunday_late, ZoneInfo("Asia/Tokyo")).label == "2026-W49"
    assert IsoWeek(2026, 1).shift(-1) == IsoWeek(2025, 1).shift(51) == IsoWeek.parse("2025-W52")
    assert IsoWeek(2026, 53).shift(1) == IsoWeek(2027, 1)
    assert IsoWeek(2026, 48).days_text() == "23–29 Nov 2026" and IsoWeek(2026, 49).days_text() == "30 Nov – 6 Dec 2026"
    with pytest.raises(ValueError, match="not an ISO week"):
        IsoWeek.parse("2026-48")
    with pytest.raises(ValueError):
        IsoWeek.parse("2025-W53")  # 2025 has 52 weeks


def test_bounds_are_local_midnights_across_a_clock_change() -> None:
    edges = bounds(IsoWeek(2026, 44), 2, PARIS)  # summer time ends on Sunday 25 October 2026
    assert [e.isoformat() for e in edges] == [
        "2026-10-19T00:00:00+02:00", "2026-10-26T00:00:00+01:00", "2026-11-02T00:00:00+01:00",
    ]


@pytest.mark.parametrize(("now", "week"), [
    (datetime(2026, 11, 30, 8, 59, tzinfo=PARIS), "2026-W47"),  # before Monday 09:00: the slot of last Monday
    (datetime(2026, 11, 30, 9, 0, tzinfo=PARIS), "2026-W48"),
    (datetime(2026, 12, 3, 15, 0, tzinfo=PARIS), "2026-W48"),  # missed Monday, caught up on Thursday
    (datetime(2026, 12, 6, 23, 59, tzinfo=PARIS), "2026-W48"),
])
def test_the_due_week_is_the_one_before_the_latest_slot(now: datetime, week: str) -> None:
    assert due_week(now, PARIS).label == week


@pytest.mark.parametrize(("values", "line"), [
    ([1, 2, 3, 4, 5, 6, 7, 8], "▁▂▃▄▅▆▇█"),
    ([0, 0, 0, 0], "▁▁▁▁"),
    ([5, 5, 5], "▄▄▄"),
    ([None, None, 3, 0], "··█▁"),
    ([None, None], "··"),
    ([0.5, 1.0, None, 0.75], "▁█·▅"),
])
def test_sparkline(values: list, line: str) -> None:
    assert trend.sparkline(values) == line


def test_changes_and_medians_ignore_unknown_weeks() -> None:
    assert trend.change(5, 3) == 2 and trend.change(None, 3) is None and trend.change(3, None) is None
    assert trend.median([None, 1, 3, None, 10]) == 3 and trend.median([None]) is None
    assert trend.against_median([2, 4, 4, 2]) == (2 / 3, 3.0)
    assert trend.against_median([0, 0, 3]) is None  # median zero: no signal yet
    assert trend.against_median([1, 2, None]) is None


@pytest.mark.parametrize(("unit", "series", "text"), [
    ("count", (3, 5), "+2"), ("count", (5, 3), "−2"), ("count", (4, 4), "±0"), ("count", (1200, 2500), "+1,300"),
    ("share", (0.5, 0.75), "+25 pts"), ("hours", (4.0, 2.5), "−1.5 h"), ("hours", (None, 2.5), ""),
])
def test_change_text(unit: str, series: tuple, text: str) -> None:
    assert FigureLine("x", unit, series).change_text() == text  # type: ignore[arg-type]


def _weeks(**headline: list[float | int | None]) -> list[dict[str, int]]:
    """Per-week tallies where each named tally follows its list."""
    return [{**dict.fromkeys(TALLIES, 0), **{k: v[i] for k, v in headline.items()}} for i in range(TREND_WEEKS)]


def _stages(counts: list[dict[str, int]]):  # noqa: ANN202
    return build_stages(counts, [{"hours_to_decision": None}] * TREND_WEEKS)


def test_the_weakest_stage_is_lowest_against_its_own_median() -> None:
    counts = _weeks(
        reviewed=[5, 5, 6, 4, 5, 5, 6, 5],  # at its median
        builders=[10, 12, 11, 9, 10, 12, 11, 5],  # half its median: the weakest
        deployments=[2, 2, 2, 2, 2, 2, 2, 1],  # also half its median, but later in the cycle
        closed=[4] * 8, closed_in_sla=[4] * 8,
    )
    sentence = weakest_sentence(_stages(counts))
    assert sentence == "Adoption needs attention: active builders at 5 this week, against an 8-week median of 10.5."


def test_every_stage_at_its_median_names_the_closest() -> None:
    counts = _weeks(reviewed=[1] * 8, builders=[3] * 7 + [6], deployments=[2] * 8, feedback=[1] * 7 + [9])
    assert weakest_sentence(_stages(counts)) == (
        "Every stage is at or above its 8-week median; Safety is closest to it "
        "(requests reviewed at 1 this week, against an 8-week median of 1)."
    )


def test_a_stage_without_history_is_never_the_weakest() -> None:
    counts = _weeks(deployments=[0] * 7 + [1])  # the median is zero: nothing to compare
    assert weakest_sentence(_stages(counts)).startswith("Too little history yet")


def test_stages_are_the_five_of_the_flywheel_in_order() -> None:
    assert [s.name for s in STAGES] == ["Safety", "Trust", "Adoption", "Impact", "Feedback"]
    for stage in STAGES:
        for figure in (*stage.figures, stage.headline):
            assert figure.unit == "hours" or figure.key in TALLIES
            assert figure.of is None or figure.of in TALLIES


def _digest(**headline: list[float | int | None]) -> Digest:
    stages = _stages(_weeks(**headline))
    return Digest("mlops", "MLOps", "C1", IsoWeek(2026, 48), stages, weakest_sentence(stages), ("U1", "U2"))


def test_the_template_sentence_uses_real_plurals() -> None:
    digest = _digest(builders=[0] * 6 + [3, 1], reviewed=[2] * 8, deployments=[0] * 8)
    assert template(digest) == (
        "In week 48, MLOps had 1 active builder (−2 on the week before), reviewed 2 requests "
        "and completed 0 deployments."
    )


def test_the_models_facts_hold_figures_and_no_names() -> None:
    digest = _digest(builders=[4] * 8)
    given = facts(digest)
    text = repr(given)
    assert "U1" not in text and "MLOps" not in text and "mlops" not in text
    assert given["scope"] == "a guild" and given["week"] == "2026-W48"
    assert given["stages"]["Adoption"]["Active builders"] == {"value": "4", "change": "±0", "last_8_weeks": [4] * 8}
