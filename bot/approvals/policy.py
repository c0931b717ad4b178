"""The approval policy: which requests exist, how risky they are, and who must say yes.

The policy is a YAML file (the built-in ``bot/approvals/default_policy.yml`` unless
``FACTORY_POLICY_FILE`` names another), validated with pydantic.  Everything here is a
pure function over plain data, so the rules are tested without Slack or a database:

* :func:`assess` turns a request's type, fields and risk answers into a tier.  Every
  matching rule is considered and the *highest* tier wins, so a low-risk rule can never
  shadow a high-risk one written further down.
* :func:`route_for` snapshots what a tier asks (quorum, groups, SLA) at filing time, so a
  request is decided by the rules it was filed under even if the file changes later.
* :func:`refusal` and :func:`quorum` are the approval rules: nobody decides their own
  request, only eligible approvers count, a quorum needs distinct people and its
  required groups (a bipartite matching, so one person in two groups counts once).

Loading (:mod:`bot.approvals.policy_file`) reports problems as ``file:line: reason``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from bot.text import plural

TIERS: tuple[str, ...] = ("low", "medium", "high")
Tier = Literal["low", "medium", "high"]
ADMINS_VARIABLE = "$FACTORY_ADMINS"
DEFAULT_POLICY_NAME = "default_policy.yml"
MODEL_DEPLOYMENT = "model_deployment"  # the request type handed to the deployment service once approved
MODEL_ROLLBACK = "model_rollback"  # likewise: points an alias back to the version it replaced
EXECUTABLE_TYPES = frozenset({MODEL_DEPLOYMENT, MODEL_ROLLBACK})

_ID = r"^[a-z][a-z0-9_-]{0,39}$"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = r"^[CG][A-Z0-9]{2,}$"
Scalar = bool | int | float | str


class PolicyError(Exception):
    """A policy file that cannot be used: ``file:line: reason`` for each problem, the first in ``str()``."""

    def __init__(self, source: str, problems: Sequence[tuple[int, str]]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(self.lines()[0])

    def lines(self) -> list[str]:
        return [f"{self.source}:{line}: {reason}" for line, reason in self.problems]


def _expand_admins(value: object, info: ValidationInfo) -> object:
    """A group is a list of user IDs; ``$FACTORY_ADMINS`` (alone or in the list) stands for the admins."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        return items
    admins = tuple((info.context or {}).get("admins", ()))
    expanded: list[object] = []
    for item in items:
        if isinstance(item, str) and item.strip() == ADMINS_VARIABLE:
            expanded.extend(admins)
        elif isinstance(item, str) and item.strip().startswith("$"):
            raise ValueError(f"unknown variable {item.strip()} (only {ADMINS_VARIABLE} is known)")
        else:
            expanded.append(item)
    return list(dict.fromkeys(expanded))


def _user_id(value: str) -> str:
    if not _USER_ID.match(value):
        raise ValueError(f"{value!r} is not a Slack user ID like U012ABC")
    return value


Members = Annotated[tuple[Annotated[str, AfterValidator(_user_id)], ...], BeforeValidator(_expand_admins)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Strict):
    """One field of a request type's form."""

    id: Annotated[str, Field(pattern=_ID)]
    label: Annotated[str, Field(min_length=1, max_length=60)]
    kind: Literal["text", "integer", "number", "choice"] = "text"
    required: bool = True
    choices: tuple[str, ...] = ()
    default: str | None = None
    hint: Annotated[str, Field(max_length=150)] = ""
    max_length: Annotated[int, Field(ge=1, le=3000)] = 200


class Question(_Strict):
    """A risk question asked on every request form; rules read its answer."""

    id: Annotated[str, Field(pattern=_ID)]
    label: Annotated[str, Field(min_length=1, max_length=150)]
    kind: Literal["yes_no", "number", "choice"] = "yes_no"
    choices: tuple[str, ...] = ()
    required: bool = True


class RequestType(_Strict):
    id: Annotated[str, Field(pattern=_ID)]
    label: Annotated[str, Field(min_length=1, max_length=60)]
    description: str = ""
    fields: tuple[FieldSpec, ...] = ()

    def field(self, field_id: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.id == field_id), None)


class NumberRange(_Strict):
    """A numeric condition: every bound given must hold."""

    at_least: float | None = None
    at_most: float | None = None
    above: float | None = None
    below: float | None = None

    def holds(self, value: float) -> bool:
        return (
            (self.at_least is None or value >= self.at_least)
            and (self.at_most is None or value <= self.at_most)
            and (self.above is None or value > self.above)
            and (self.below is None or value < self.below)
        )


Match = Scalar | list[Scalar] | NumberRange


class Condition(_Strict):
    """``when:`` of a rule; every part given must hold (an unanswered question never matches)."""

    type: tuple[str, ...] = ()
    fields: dict[str, Match] = {}
    answers: dict[str, Match] = {}

    @field_validator("type", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value


class Rule(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    when: Condition = Condition()
    tier: Tier


class TierPolicy(_Strict):
    auto_approve: bool = False
    approvals: Annotated[int, Field(ge=1, le=20)] | None = None
    approvers: tuple[str, ...] = ()
    require: dict[str, Annotated[int, Field(ge=1, le=20)]] = {}
    remind_after_hours: Annotated[float, Field(gt=0)] | None = None
    max_reminders: Annotated[int, Field(ge=0, le=20)] = 3
    escalate_after_hours: Annotated[float, Field(gt=0)] | None = None
    escalate_to: tuple[str, ...] = ()
    expire_after_days: Annotated[float, Field(gt=0)] | None = None

    @property
    def needed(self) -> int:
        """The quorum: ``approvals`` if given, else what the required groups add up to (at least 1)."""
        return self.approvals if self.approvals is not None else max(1, sum(self.require.values()))


class Policy(_Strict):
    version: Literal[1] = 1
    approvals_channel: Annotated[str, Field(pattern=_CHANNEL_ID)] | None = None
    groups: dict[Annotated[str, Field(pattern=_ID)], Members] = {}
    questions: tuple[Question, ...] = ()
    request_types: tuple[RequestType, ...]
    rules: tuple[Rule, ...] = ()
    default_tier: Tier = "medium"
    tiers: dict[Tier, TierPolicy]
    source: str = Field("<policy>", exclude=True)

    def request_type(self, type_id: str) -> RequestType | None:
        return next((t for t in self.request_types if t.id == type_id), None)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def members(self, names: Iterable[str]) -> tuple[str, ...]:
        """Users of the named groups (a name that is itself a user ID stands for that user)."""
        found: list[str] = []
        for name in names:
            found.extend(self.groups.get(name, (name,) if _USER_ID.match(name) else ()))
        return tuple(dict.fromkeys(found))


# -- assessing a request -------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    tier: str
    rule: str | None  # the rule that decided the tier; None means the policy's default tier
    auto_approve: bool

    @property
    def reason(self) -> str:
        return f"rule “{self.rule}”" if self.rule else "the policy's default tier"


def assess(policy: Policy, *, type_id: str, fields: Mapping[str, Any], answers: Mapping[str, Any]) -> Assessment:
    """The tier of a request: the highest tier among matching rules, the first such rule named."""
    best: Rule | None = None
    for rule in policy.rules:
        if _matches(rule.when, type_id, fields, answers) and (
            best is None or TIERS.index(rule.tier) > TIERS.index(best.tier)
        ):
            best = rule
    tier = best.tier if best else policy.default_tier
    return Assessment(tier=tier, rule=best.name if best else None, auto_approve=policy.tiers[tier].auto_approve)


def _matches(when: Condition, type_id: str, fields: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    if when.type and type_id not in when.type:
        return False
    parts = [(fields.get(k), m) for k, m in when.fields.items()] + [(answers.get(k), m) for k, m in when.answers.items()]
    return all(value_matches(value, match) for value, match in parts)


def value_matches(value: Any, match: Match) -> bool:
    """Does a field value or an answer meet a rule's condition on it?"""
    if value is None or value == "":
        return False
    if isinstance(match, list):
        return any(value_matches(value, m) for m in match)
    if isinstance(match, NumberRange):
        number = _number(value)
        return number is not None and match.holds(number)
    if isinstance(match, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(match, bool) and value is match
    if isinstance(match, (int, float)):
        return _number(value) == float(match)
    return str(value).strip().lower() == str(match).strip().lower()


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# -- routing: who decides, and the quorum ------------------------------------------


@dataclass(frozen=True)
class Route:
    """What a tier asks of a request, frozen at filing time and stored with it."""

    tier: str
    approvals: int = 0
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # eligible groups and their members
    require: dict[str, int] = field(default_factory=dict)
    escalate_to: tuple[str, ...] = ()
    remind_after_hours: float | None = None
    max_reminders: int = 0
    escalate_after_hours: float | None = None
    expire_after_days: float | None = None
    channel: str | None = None

    @property
    def eligible(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(u for members in self.groups.values() for u in members))

    def to_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier, "approvals": self.approvals,
            "groups": {k: list(v) for k, v in self.groups.items()}, "require": dict(self.require),
            "escalate_to": list(self.escalate_to), "remind_after_hours": self.remind_after_hours,
            "max_reminders": self.max_reminders, "escalate_after_hours": self.escalate_after_hours,
            "expire_after_days": self.expire_after_days, "channel": self.channel,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Route:
        return cls(
            tier=data["tier"], approvals=int(data.get("approvals", 0)),
            groups={k: tuple(v) for k, v in (data.get("groups") or {}).items()},
            require={k: int(v) for k, v in (data.get("require") or {}).items()},
            escalate_to=tuple(data.get("escalate_to") or ()), remind_after_hours=data.get("remind_after_hours"),
            max_reminders=int(data.get("max_reminders") or 0), escalate_after_hours=data.get("escalate_after_hours"),
            expire_after_days=data.get("expire_after_days"), channel=data.get("channel"),
        )


def route_for(policy: Policy, tier: str) -> Route:
    spec = policy.tiers[tier]
    if spec.auto_approve:
        return Route(tier=tier)
    names = list(dict.fromkeys([*spec.approvers, *spec.require]))
    return Route(
        tier=tier,
        approvals=spec.needed,
        groups={name: tuple(policy.groups.get(name, ())) for name in names},
        require=dict(spec.require),
        escalate_to=policy.members(spec.escalate_to),
        remind_after_hours=spec.remind_after_hours,
        max_reminders=spec.max_reminders if spec.remind_after_hours else 0,
        escalate_after_hours=spec.escalate_after_hours,
        expire_after_days=spec.expire_after_days,
        channel=policy.approvals_channel,
    )


def refusal(route: Route, *, requester: str, approver: str) -> str | None:
    """Why ``approver`` may not decide this request, or None if they may."""
    if approver == requester:
        return "You filed this request, so someone else has to approve or reject it."
    if approver not in route.eligible:
        return f"Only {describe_groups(route.groups)} can decide on this request."
    return None


@dataclass(frozen=True)
class QuorumStatus:
    met: bool
    have: int  # distinct eligible approvers so far
    need: int
    missing: dict[str, int]  # required group -> approvals still missing from it

    def describe(self) -> str:
        if self.met:
            return f"{self.have} of {plural(self.need, 'approval')}: complete"
        parts = [f"{n} more from {g}" for g, n in self.missing.items() if n]
        more = self.need - self.have
        if not parts and more > 0:
            parts.append(f"{plural(more, 'more approval')}")
        return f"{self.have} of {plural(self.need, 'approval')}; needs {', '.join(parts)}"


def quorum(route: Route, approvers: Sequence[str]) -> QuorumStatus:
    """Is the quorum met by these approvals?  Only distinct, eligible approvers count, and each
    required group's seats are filled by different people (maximum bipartite matching)."""
    eligible = set(route.eligible)
    people = [p for p in dict.fromkeys(approvers) if p in eligible]
    seats = [g for g, n in route.require.items() for _ in range(n)]
    taken: dict[int, str] = {}  # seat index -> person

    def place(person: str, tried: set[int]) -> bool:
        for i, group in enumerate(seats):
            if i in tried or person not in route.groups.get(group, ()):
                continue
            tried.add(i)
            if i not in taken or place(taken[i], tried):
                taken[i] = person
                return True
        return False

    for person in people:
        place(person, set())
    missing: dict[str, int] = {}
    for i, group in enumerate(seats):
        if i not in taken:
            missing[group] = missing.get(group, 0) + 1
    need = max(route.approvals, len(seats))
    return QuorumStatus(met=not missing and len(people) >= need, have=len(people), need=need, missing=missing)


def reachable(route: Route, *, requester: str) -> bool:
    """Could the quorum be met at all without the requester?"""
    return quorum(route, [p for p in route.eligible if p != requester]).met


def describe_groups(groups: Mapping[str, Sequence[str]]) -> str:
    names = [f"*{name}*" for name in groups]
    return " or ".join(names) if names else "nobody (the policy names no approvers)"


# -- cleaning what a person typed ------------------------------------------------------


def clean_fields(rtype: RequestType, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The type's field values from form text, and a problem per field id."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for spec in rtype.fields:
        text = str(raw.get(spec.id) or "").strip() or (spec.default or "")
        if not text:
            if spec.required:
                problems[spec.id] = f"{spec.label} is required."
            continue
        if len(text) > spec.max_length:
            problems[spec.id] = f"{spec.label} is at most {spec.max_length} characters."
        elif spec.kind == "integer" and not re.fullmatch(r"\d+", text):
            problems[spec.id] = f"{spec.label} must be a whole number, like 3."
        elif spec.kind == "number" and _number(text) is None:
            problems[spec.id] = f"{spec.label} must be a number."
        elif spec.kind == "choice" and text not in spec.choices:
            problems[spec.id] = f"{spec.label} must be one of {', '.join(spec.choices)}."
        else:
            values[spec.id] = int(text) if spec.kind == "integer" else float(text) if spec.kind == "number" else text
    return values, problems


def clean_answers(policy: Policy, raw: Mapping[str, Any], *, partial: bool = False) -> tuple[dict[str, Any], dict[str, str]]:
    """Risk answers from form values (``yes``/``no``, numbers, choices); ``partial`` skips missing ones."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for q in policy.questions:
        text = str(raw.get(q.id) if raw.get(q.id) is not None else "").strip().lower()
        if not text:
            if q.required and not partial:
                problems[q.id] = "Please answer this question."
            continue
        if q.kind == "yes_no":
            if text not in ("yes", "no", "true", "false"):
                problems[q.id] = "Answer yes or no."
            else:
                values[q.id] = text in ("yes", "true")
        elif q.kind == "number":
            number = _number(text)
            if number is None or number < 0:
                problems[q.id] = "Answer with a number, like 250."
            else:
                values[q.id] = number
        else:
            choice = next((c for c in q.choices if c.lower() == text), None)
            if choice is None:
                problems[q.id] = f"Answer one of {', '.join(q.choices)}."
            else:
                values[q.id] = choice
    return values, problems


# -- loading (the YAML and its line numbers live in bot.approvals.policy_file) --------------------
