"""The policy engine without Slack or a database: loading, tiers, eligibility, quorum."""

from __future__ import annotations

import pytest

from bot.approvals.policy import (
    PolicyError,
    Route,
    assess,
    clean_answers,
    clean_fields,
    quorum,
    reachable,
    refusal,
    route_for,
)
from bot.approvals.policy_file import explain_policy, load_policy, parse_policy, policy_warnings

ADMIN, OTHER_ADMIN, MEMBER = "U0ADMIN01", "U0ADMIN02", "U0MEMBER1"
SEC, LEAD, BOTH = "U0SEC0001", "U0LEAD001", "U0BOTH001"


@pytest.fixture
def default():  # noqa: ANN201
    return load_policy(admins=[ADMIN, OTHER_ADMIN])


def high_route(*, needed: int = 2) -> Route:
    return Route(tier="high", approvals=needed, groups={"security": (SEC, BOTH), "ml-leads": (LEAD, BOTH)},
                 require={"security": 1, "ml-leads": 1})


# -- the built-in policy --------------------------------------------------------------------------


def test_the_default_policy_makes_the_admins_the_approvers(default) -> None:  # noqa: ANN001
    assert default.groups == {"admins": (ADMIN, OTHER_ADMIN)}
    assert [t.id for t in default.request_types] == [
        "model_deployment", "model_rollback", "data_access", "tool_access", "compute"]
    assert [q.id for q in default.questions] == ["personal_data", "external", "monthly_cost"]


def test_a_production_deployment_needs_one_approval_that_is_not_the_requesters(default) -> None:  # noqa: ANN001
    found = assess(default, type_id="model_deployment", fields={"model": "churn", "version": 3, "alias": "production"},
                   answers={})
    assert (found.tier, found.rule, found.auto_approve) == ("medium", "production deployment", False)
    route = route_for(default, found.tier)
    assert route.approvals == 1 and route.eligible == (ADMIN, OTHER_ADMIN)
    assert refusal(route, requester=ADMIN, approver=ADMIN) == "You filed this request, so someone else has to approve or reject it."
    assert refusal(route, requester=ADMIN, approver=OTHER_ADMIN) is None
    assert quorum(route, [OTHER_ADMIN]).met


def test_low_risk_tool_access_auto_approves(default) -> None:  # noqa: ANN001
    answers = {"personal_data": False, "external": False, "monthly_cost": 120.0}
    found = assess(default, type_id="tool_access", fields={"tool": "Notion"}, answers=answers)
    assert (found.tier, found.rule, found.auto_approve) == ("low", "low-risk tool access", True)
    costly = assess(default, type_id="tool_access", fields={}, answers={**answers, "monthly_cost": 900.0})
    assert (costly.tier, costly.rule) == ("medium", None)  # no rule: the default tier


def test_the_highest_matching_tier_wins_whatever_the_order(default) -> None:  # noqa: ANN001
    answers = {"personal_data": True, "external": True, "monthly_cost": 10.0}
    found = assess(default, type_id="tool_access", fields={}, answers=answers)
    assert (found.tier, found.rule) == ("high", "personal data exposed outside the company")


def test_an_unanswered_question_never_matches(default) -> None:  # noqa: ANN001
    found = assess(default, type_id="tool_access", fields={}, answers={"personal_data": False})
    assert found.tier == "medium" and not found.auto_approve


def test_without_admins_the_default_policy_warns_that_nobody_can_approve() -> None:
    warnings = policy_warnings(load_policy())
    assert "tier medium: group admins has no members (it is $FACTORY_ADMINS and FACTORY_ADMINS is empty)" in warnings
    assert not reachable(route_for(load_policy(), "medium"), requester=MEMBER)


def test_explain_says_what_each_tier_does(default) -> None:  # noqa: ANN001
    text = explain_policy(default)
    assert "medium: 1 approval from admins; reminder every 24h (at most 2); escalated to admins after 72h" in text
    assert "“low-risk tool access”: type is tool_access, personal_data = no, external = no, monthly_cost ≤ 500 → low" in text


# -- quorum and eligibility -----------------------------------------------------------------------------


def test_a_quorum_needs_each_required_group() -> None:
    route = high_route()
    status = quorum(route, [SEC])
    assert not status.met and status.missing == {"ml-leads": 1}
    assert status.describe() == "1 of 2 approvals; needs 1 more from ml-leads"
    assert quorum(route, [SEC, LEAD]).met


def test_one_person_in_two_groups_fills_one_seat_only() -> None:
    route = high_route()
    assert not quorum(route, [BOTH]).met
    assert quorum(route, [BOTH, SEC]).met and quorum(route, [LEAD, BOTH]).met  # BOTH moves to the free seat


def test_repeated_and_ineligible_approvals_do_not_count() -> None:
    route = high_route()
    assert quorum(route, [SEC, SEC, "U0STRANGER"]).have == 1
    assert refusal(route, requester=MEMBER, approver="U0STRANGER") == "Only *security* or *ml-leads* can decide on this request."


def test_a_quorum_larger_than_its_seats_needs_more_people() -> None:
    route = high_route(needed=3)
    assert not quorum(route, [SEC, LEAD]).met
    assert quorum(route, [SEC, LEAD, BOTH]).met


def test_a_route_survives_its_json_round_trip(default) -> None:  # noqa: ANN001
    route = route_for(default, "high")
    assert Route.from_json(route.to_json()) == route


# -- what people type ----------------------------------------------------------------------------------------


def test_fields_are_checked_against_their_kind(default) -> None:  # noqa: ANN001
    deploy = default.request_type("model_deployment")
    values, problems = clean_fields(deploy, {"model": " churn ", "version": "3", "alias": ""})
    assert values == {"model": "churn", "version": 3, "alias": "production"} and problems == {}
    _, problems = clean_fields(deploy, {"model": "", "version": "v3"})
    assert problems == {"model": "Registered model is required.", "version": "Version must be a whole number, like 3."}
    _, problems = clean_fields(default.request_type("data_access"), {"dataset": "x", "access": "admin"})
    assert problems == {"access": "Access level must be one of read, write."}


def test_answers_are_read_as_yes_no_and_numbers(default) -> None:  # noqa: ANN001
    values, problems = clean_answers(default, {"personal_data": "Yes", "external": "no", "monthly_cost": "12.5"})
    assert values == {"personal_data": True, "external": False, "monthly_cost": 12.5} and problems == {}
    _, problems = clean_answers(default, {"personal_data": "maybe", "monthly_cost": "-3"})
    assert problems == {"personal_data": "Answer yes or no.", "external": "Please answer this question.",
                        "monthly_cost": "Answer with a number, like 250."}
    assert clean_answers(default, {}, partial=True) == ({}, {})


# -- loading: the line and the reason -------------------------------------------------------------------


MINIMAL = """version: 1
groups:
  admins: $FACTORY_ADMINS
request_types:
  - id: model_deployment
    label: Model deployment
tiers:
  low: {auto_approve: true}
  medium: {approvals: 1, approvers: [admins]}
  high: {approvals: 1, approvers: [admins]}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, source="p.yml", admins=[ADMIN])
    return caught.value.lines()


def test_a_minimal_policy_loads() -> None:
    assert parse_policy(MINIMAL, admins=[ADMIN]).groups == {"admins": (ADMIN,)}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("  medium: {approvals: 1", "  medium: {approvals: 0"),
         "p.yml:9: tiers.medium.approvals: Input should be greater than or equal to 1"),
        (("approvers: [admins]}\n  high", "approvers: [security]}\n  high"),
         "p.yml:9: tiers.medium: unknown group 'security' (groups: admins)"),
        (("  admins: $FACTORY_ADMINS", "  admins: [bob]"), "p.yml:3: groups.admins[0]: 'bob' is not a Slack user ID like U012ABC"),
        (("  admins: $FACTORY_ADMINS", "  admins: $ADMINS"), "p.yml:3: groups.admins: unknown variable $ADMINS (only $FACTORY_ADMINS is known)"),
        (("    label: Model deployment", "    label: Model deployment\n    colour: blue"),
         "p.yml:7: request_types[0].colour: Extra inputs are not permitted"),
        (("  high: {approvals: 1, approvers: [admins]}\n", ""),
         "p.yml:7: tiers: tier 'high' is missing (every tier low, medium, high needs an entry)"),
        (("  low: {auto_approve: true}", "  low: {auto_approve: true, approvers: [admins]}"),
         "p.yml:8: tiers.low: an auto_approve tier takes no approvers, require or approvals"),
        (("groups:", "groups:\ngroups:"), "p.yml:3: groups: duplicate key"),
        (("    label: Model deployment", "    label: [Model"), "p.yml:7: not valid YAML: expected ',' or ']', but got ':'"),
    ],
)
def test_a_broken_policy_names_its_line_and_reason(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in MINIMAL
    assert problems(MINIMAL.replace(old, new, 1))[0] == expected


def test_rules_must_name_real_types_fields_and_questions() -> None:
    text = MINIMAL + """rules:
  - name: bad
    when: {type: model_deploy, fields: {colour: red}, answers: {gdpr: yes}}
    tier: high
"""
    found = problems(text)
    assert found[0] == "p.yml:13: rules[0].when.type: unknown request type 'model_deploy'"
    assert "p.yml:13: rules[0].when.answers.gdpr: no such question" in found


def test_a_condition_on_a_choice_must_name_one_of_its_choices() -> None:
    """``alias: prod`` could never match a field that only takes production or staging."""
    text = MINIMAL.replace("    label: Model deployment\n", """    label: Model deployment
    fields:
      - {id: alias, label: Alias, kind: choice, choices: [production, staging]}
""") + """questions:
  - {id: region, label: Region, kind: choice, choices: [eu, us]}
rules:
  - name: fine
    when: {fields: {alias: [Production, staging]}, answers: {region: eu}}
    tier: high
  - name: typo
    when:
      type: model_deployment
      fields: {alias: [staging, prod]}
      answers: {region: asia}
    tier: high
"""
    assert problems(text) == [
        "p.yml:22: rules[1].when.fields.alias: 'prod' is not one of its choices (production, staging)",
        "p.yml:23: rules[1].when.answers.region: 'asia' is not one of its choices (eu, us)",
    ]


def test_an_unreadable_file_is_reported_too(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(PolicyError, match=r"missing.yml:1: cannot read the file \(FileNotFoundError\)"):
        load_policy(tmp_path / "missing.yml")
