"""Reading a policy file: YAML with line numbers, pydantic validation, cross-references.

Every problem is reported as ``file:line: path: reason``.  PyYAML's composed node tree
keeps a mark (line, column) for every key and item, so the path of a pydantic error
(``tiers.high.approvals``) is mapped back to the line it came from.  Checks pydantic
cannot do field by field (a tier naming an unknown group, a rule naming an unknown
question) run after validation and are reported the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.approvals.policy import DEFAULT_POLICY_NAME, TIERS, Policy, PolicyError, quorum, route_for, value_matches

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


# -- loading -------------------------------------------------------------------------


def default_policy_text() -> str:
    return resources.files(__package__).joinpath(DEFAULT_POLICY_NAME).read_text(encoding="utf-8")


def load_policy(path: Path | str | None = None, *, admins: Iterable[str] = ()) -> Policy:
    """The policy at ``path``, or the built-in one; :class:`PolicyError` (``file:line: reason``) if unusable."""
    if path is None:
        return parse_policy(default_policy_text(), source=DEFAULT_POLICY_NAME, admins=admins)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), [(1, f"cannot read the file ({exc.__class__.__name__})")]) from None
    return parse_policy(text, source=str(path), admins=admins)


def parse_policy(text: str, *, source: str = "<policy>", admins: Iterable[str] = ()) -> Policy:
    try:
        data = yaml.safe_load(text)
        lines = _line_index(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise PolicyError(source, [((mark.line + 1) if mark else 1, f"not valid YAML: {exc.problem}")]) from None
    except _DuplicateKey as exc:
        raise PolicyError(source, [(exc.line, f"{exc.key}: duplicate key")]) from None
    if not isinstance(data, dict):
        raise PolicyError(source, [(1, "a policy is a mapping with request_types, tiers, …")])
    try:
        policy = Policy.model_validate({**data, "source": source}, context={"admins": tuple(admins)})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = _data_path(data, err["loc"])
            problems.append((_line_of(lines, path), f"{_dotted(path)}: {_message(err)}"))
        raise PolicyError(source, sorted(problems, key=lambda p: p[0])) from None
    problems = [(_line_of(lines, path), f"{_dotted(path)}: {reason}") for path, reason in _cross_check(policy)]
    if problems:
        raise PolicyError(source, sorted(problems, key=lambda p: p[0]))
    return policy


def _message(err: Mapping[str, Any]) -> str:
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def _cross_check(policy: Policy) -> list[tuple[tuple[Any, ...], str]]:
    """What pydantic cannot see field by field: names that must refer to each other."""
    found: list[tuple[tuple[Any, ...], str]] = []
    if not policy.request_types:
        found.append((("request_types",), "needs at least one request type"))
    for kind, items in (("request type", policy.request_types), ("question", policy.questions), ("rule", policy.rules)):
        seen: set[str] = set()
        key = {"request type": "request_types", "question": "questions", "rule": "rules"}[kind]
        for i, item in enumerate(items):
            ident = getattr(item, "id", None) or getattr(item, "name")
            if ident in seen:
                found.append(((key, i), f"a second {kind} called {ident!r}"))
            seen.add(ident)
    for i, rtype in enumerate(policy.request_types):
        for j, spec in enumerate(rtype.fields):
            if spec.kind == "choice" and not spec.choices:
                found.append((("request_types", i, "fields", j), "a choice field needs choices"))
    for i, q in enumerate(policy.questions):
        if q.kind == "choice" and not q.choices:
            found.append((("questions", i), "a choice question needs choices"))
    for tier in TIERS:
        if tier not in policy.tiers:
            found.append((("tiers",), f"tier {tier!r} is missing (every tier low, medium, high needs an entry)"))
    for tier, spec in policy.tiers.items():
        at = ("tiers", tier)
        if spec.auto_approve:
            if spec.approvers or spec.require or spec.approvals:
                found.append((at, "an auto_approve tier takes no approvers, require or approvals"))
            continue
        if not spec.approvers and not spec.require:
            found.append((at, "needs approvers or require (or auto_approve: true)"))
        for name in [*spec.approvers, *spec.require]:
            if name not in policy.groups:
                found.append((at, f"unknown group {name!r} (groups: {', '.join(policy.groups) or 'none'})"))
        for name in spec.escalate_to:
            if name not in policy.groups and not _USER_ID.match(name):
                found.append(((*at, "escalate_to"), f"unknown group {name!r}"))
        if spec.approvals is not None and spec.approvals < sum(spec.require.values()):
            found.append(((*at, "approvals"), f"is less than the {sum(spec.require.values())} seats of require"))
        if bool(spec.escalate_after_hours) != bool(spec.escalate_to):
            found.append((at, "escalate_after_hours and escalate_to go together"))
    for i, rule in enumerate(policy.rules):
        at = ("rules", i, "when")
        for type_id in rule.when.type:
            if policy.request_type(type_id) is None:
                found.append(((*at, "type"), f"unknown request type {type_id!r}"))
        types = [policy.request_type(t) for t in rule.when.type] or list(policy.request_types)
        for field_id, match in rule.when.fields.items():
            specs = [t.field(field_id) for t in types if t and t.field(field_id)]
            if not specs:
                found.append(((*at, "fields", field_id), f"no such field in {', '.join(t.id for t in types if t)}"))
            elif all(spec.kind == "choice" for spec in specs):
                choices = tuple(dict.fromkeys(c for spec in specs for c in spec.choices))
                found += [((*at, "fields", field_id), reason) for reason in _unmatchable(match, choices)]
        for question_id, match in rule.when.answers.items():
            q = policy.question(question_id)
            if q is None:
                found.append(((*at, "answers", question_id), "no such question"))
            elif q.kind == "yes_no" and not isinstance(match, bool):
                found.append(((*at, "answers", question_id), "a yes/no question is matched with yes or no"))
            elif q.kind == "choice":
                found += [((*at, "answers", question_id), reason) for reason in _unmatchable(match, q.choices)]
    return found


def _unmatchable(match: Any, choices: Sequence[str]) -> list[str]:
    """A condition on a choice field or question can only ever hold for one of its choices:
    a value no choice matches (``prod`` for ``production``) is a rule that never applies."""
    values = match if isinstance(match, list) else [match]
    return [f"{value!r} is not one of its choices ({', '.join(choices)})"
            for value in values if not any(value_matches(choice, value) for choice in choices)]


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        self.key, self.line = key, line


def _line_index(root: yaml.Node | None) -> dict[tuple[Any, ...], int]:
    """Path (keys and list indexes) -> 1-based line, from the composed node tree."""
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...], line: int) -> None:
        lines[path] = line
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = str(key.value)
                if name in seen:
                    raise _DuplicateKey(name, key.start_mark.line + 1)
                seen.add(name)
                walk(value, (*path, name), key.start_mark.line + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i), item.start_mark.line + 1)

    if root is not None:
        walk(root, (), root.start_mark.line + 1)
    return lines


def _data_path(data: Any, loc: Sequence[Any]) -> tuple[Any, ...]:
    """The part of a pydantic ``loc`` that names places in the document (union tags dropped)."""
    path: list[Any] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and str(part) in {str(k) for k in node}:
            key = next(k for k in node if str(k) == str(part))
            path.append(str(part))
            node = node[key]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif i == len(loc) - 1 and isinstance(node, dict):
            path.append(str(part))  # a missing key
    return tuple(path)


def _line_of(lines: Mapping[tuple[Any, ...], int], path: tuple[Any, ...]) -> int:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1


def _dotted(path: Sequence[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "policy"


# -- explaining ----------------------------------------------------------------------


def policy_warnings(policy: Policy) -> list[str]:
    """Things that are valid but probably not meant: a tier nobody can ever approve, clocks out of order."""


    warnings = []
    for tier in TIERS:
        spec = policy.tiers[tier]
        if spec.auto_approve:
            continue
        route = route_for(policy, tier)
        empty = [name for name, members in route.groups.items() if not members]
        for name in empty:
            hint = " (it is $FACTORY_ADMINS and FACTORY_ADMINS is empty)" if name == "admins" else ""
            warnings.append(f"tier {tier}: group {name} has no members{hint}")
        if not quorum(route, route.eligible).met:
            warnings.append(
                f"tier {tier}: needs {_n(spec.needed, 'approval')} but only {_n(len(route.eligible), 'person', 'people')} "
                "can approve: "
                "its requests can never be approved, only escalated or expired"
            )
        if spec.expire_after_days and spec.escalate_after_hours and spec.expire_after_days * 24 <= spec.escalate_after_hours:
            warnings.append(f"tier {tier}: requests expire before they are escalated")
    return warnings


def explain_policy(policy: Policy) -> str:
    """What the policy will do, in plain words (``factorybot policy check FILE``)."""
    out = [f"{policy.source}: valid.", ""]
    where = f"in channel {policy.approvals_channel}" if policy.approvals_channel else "by direct message"
    out.append(f"Approvers are asked {where}; nobody ever approves their own request; one rejection ends a request.")
    out += ["", "Groups:"]
    out += [f"  {name}: {', '.join(members) or '(nobody)'}" for name, members in policy.groups.items()] or ["  (none)"]
    out += ["", "Request types:"]
    for rtype in policy.request_types:
        parts = []
        for spec in rtype.fields:
            notes = [n for n in (
                {"integer": "whole number", "number": "number"}.get(spec.kind),
                f"one of {'/'.join(spec.choices)}" if spec.kind == "choice" else None,
                f"default {spec.default}" if spec.default else None,
                None if spec.required else "optional",
            ) if n]
            parts.append(f"{spec.id} ({', '.join(notes)})" if notes else spec.id)
        out.append(f"  {rtype.id} — {rtype.label}: {', '.join(parts) or 'no fields'}")
    out += ["", "Risk questions:"]
    kinds = {"yes_no": "yes/no", "number": "number"}
    out += [f"  {q.id} — {q.label} ({kinds.get(q.kind) or 'one of ' + '/'.join(q.choices)})" for q in policy.questions] or ["  (none)"]
    out += ["", f"Rules (every matching rule counts and the highest tier wins; no match: {policy.default_tier}):"]
    for i, rule in enumerate(policy.rules, 1):
        out.append(f"  {i}. “{rule.name}”: {_condition_text(rule.when)} → {rule.tier}")
    out += ["", "Tiers:"]
    out += [f"  {tier}: {_tier_text(policy, tier)}" for tier in TIERS]
    warnings = policy_warnings(policy)
    if warnings:
        out += ["", "Warnings:"] + [f"  - {w}" for w in warnings]
    return "\n".join(out)


def _condition_text(when: Any) -> str:
    parts = [f"type is {' or '.join(when.type)}"] if when.type else []
    for name, match in [*when.fields.items(), *when.answers.items()]:
        parts.append(f"{name} {_match_text(match)}")
    return ", ".join(parts) or "always"


def _match_text(match: Any) -> str:
    if isinstance(match, bool):
        return "= yes" if match else "= no"
    if isinstance(match, list):
        return "in " + "/".join(str(m) for m in match)
    if hasattr(match, "holds"):
        bounds = {"at_least": "≥", "at_most": "≤", "above": ">", "below": "<"}
        return " and ".join(f"{sign} {getattr(match, key):g}" for key, sign in bounds.items() if getattr(match, key) is not None)
    return f"= {match}"


def _tier_text(policy: Policy, tier: str) -> str:
    spec = policy.tiers[tier]
    if spec.auto_approve:
        return "approved at once by the policy"
    groups = " or ".join([*spec.approvers, *[g for g in spec.require if g not in spec.approvers]])
    text = f"{_n(spec.needed, 'approval')} from {groups}"
    if spec.require:
        text += " including " + " and ".join(f"{n} from {g}" for g, n in spec.require.items())
    if spec.remind_after_hours:
        text += f"; reminder every {spec.remind_after_hours:g}h (at most {spec.max_reminders})"
    if spec.escalate_after_hours:
        text += f"; escalated to {', '.join(spec.escalate_to)} after {spec.escalate_after_hours:g}h"
    if spec.expire_after_days:
        text += f"; expires after {spec.expire_after_days:g} days"
    return text


def _n(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"
