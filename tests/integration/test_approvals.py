"""The approvals service against a real database (SQLite, or PostgreSQL with FACTORYBOT_TEST_DATABASE_URL).

Slack is a recording fake notifier here; the end-to-end tests use the stand-in.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.approvals.model import (
    AlreadyDecided,
    AlreadyRequested,
    Decided,
    Filed,
    InvalidRequest,
    MessageRef,
    NotAllowed,
    RequestNotFound,
    RequestView,
)
from bot.approvals.reports import format_export
from bot.runtime.bootstrap import bootstrap
from bot.approvals.policy_file import default_policy_text, parse_policy
from bot.services import Services
from bot.runtime.settings import load_settings
from storage import approvals as store
from storage.db import Database
from storage.repositories import activity_between
from tests.e2e.approval_helpers import LEAD, SECURITY, TWO_GROUPS_POLICY, CountingExecutor

ADMINS = ("U0ADMIN01", "U0ADMIN02", "U0ADMIN03", "U0ADMIN04")
REQUESTER = "U0MEMBER1"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

QUORUM_TWO = """
version: 1
groups: {admins: $FACTORY_ADMINS}
request_types:
  - id: model_deployment
    label: Model deployment
    fields: [{id: model, label: Model}, {id: version, label: Version, kind: integer},
             {id: alias, label: Alias, default: production}]
tiers:
  low: {auto_approve: true}
  medium: {approvals: 2, approvers: [admins], remind_after_hours: 1, max_reminders: 2}
  high: {approvals: 2, approvers: [admins]}
"""


class FakeNotifier:
    def __init__(self) -> None:
        self.posted: list[tuple[str, str]] = []
        self.updated: list[tuple[str, str]] = []
        self.notices: list[tuple[str, tuple[str, ...]]] = []
        self.failing = False
        self._lock = threading.Lock()

    def post(self, request: RequestView, *, role: str, recipient: str) -> MessageRef:
        if self.failing:
            raise ConnectionError("slack is down")
        with self._lock:
            self.posted.append((role, recipient))
            return MessageRef(role, recipient, f"D{recipient}", f"{len(self.posted)}.0")

    def update(self, request: RequestView, ref: MessageRef) -> None:
        with self._lock:
            self.updated.append((ref.recipient, request.status))

    def notify(self, request: RequestView, *, kind: str, recipients: list[str]) -> None:
        if self.failing:
            raise ConnectionError("slack is down")
        with self._lock:
            self.notices.append((kind, tuple(recipients)))


def make_services(database: Database, policy_text: str | None = None, executor: CountingExecutor | None = None,
                  notifier: FakeNotifier | None = None) -> Services:
    settings = load_settings(DATABASE_URL=database.url, FACTORY_ADMINS=",".join(ADMINS))
    policy = parse_policy(policy_text, admins=ADMINS) if policy_text else None
    return bootstrap(settings, db=database, policy=policy, executor=executor or CountingExecutor(),
                     approval_notifier=notifier or FakeNotifier()).services


def file_deploy(services: Services, *, requester: str = REQUESTER, alias: str = "production", now: datetime = T0,
                guild: str | None = None) -> RequestView:
    return services.approvals.file_request(requester=requester, type_id="model_deployment", source="command",
                                  fields={"model": "churn", "version": "3", "alias": alias}, answers={},
                                  guild=guild, now=now).request


def final_events(database: Database) -> list[str]:
    with database.unit_of_work() as uow:
        return [e.kind for e in activity_between(uow.session, T0 - timedelta(days=1), T0 + timedelta(days=400))
                if e.kind in ("approval.approved", "approval.rejected", "approval.cancelled", "approval.expired")]


def run_together(count: int, action) -> list[object]:  # noqa: ANN001
    """Run ``action(i)`` on ``count`` threads released at the same instant; results or exceptions."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    return results


# -- rules -----------------------------------------------------------------------------------------


def test_filing_records_the_request_its_audit_event_and_its_activity(database: Database) -> None:
    services = make_services(database)
    view = file_deploy(services)
    assert (view.public_id, view.tier, view.matched_rule, view.status) == ("AR-1", "medium", "production deployment", "pending")
    assert view.route.eligible == ADMINS and view.quorum.need == 1
    assert view.expires_at == T0 + timedelta(days=14)
    with database.unit_of_work() as uow:
        (event,) = store.audit_for(uow.session, view.id)
        (activity,) = activity_between(uow.session, T0, T0 + timedelta(seconds=1))
    assert (event.kind, event.actor, event.detail["rule"]) == ("requested", REQUESTER, "production deployment")
    assert (activity.kind, activity.subject, activity.figures["tier"]) == ("approval.requested", "AR-1", "medium")


def test_a_low_risk_request_is_approved_by_the_policy_with_the_rule_that_matched(database: Database) -> None:
    services = make_services(database)
    view = services.approvals.file_request(requester=REQUESTER, type_id="tool_access",
                                  fields={"tool": "Notion AI"}, justification="notes",
                                  answers={"personal_data": "no", "external": "no", "monthly_cost": "20"}).request
    assert (view.status, view.decided_by, view.matched_rule) == ("approved", "policy", "low-risk tool access")
    with database.unit_of_work() as uow:
        kinds = [(e.kind, e.actor) for e in store.audit_for(uow.session, view.id)]
    assert kinds == [("requested", REQUESTER), ("auto_approved", "policy")]
    with pytest.raises(AlreadyDecided, match="auto-approved by the policy"):
        services.approvals.decide(request_id=view.id, approver=ADMINS[0], verdict="reject", reason="no")


def test_the_rules_hold_in_the_service_whatever_the_ui_sends(database: Database) -> None:
    services = make_services(database)
    view = file_deploy(services, requester=ADMINS[0])
    with pytest.raises(NotAllowed, match="You filed this request"):
        services.approvals.decide(request_id=view.id, approver=ADMINS[0], verdict="approve")
    with pytest.raises(NotAllowed, match=r"Only \*admins\* can decide"):
        services.approvals.decide(request_id=view.id, approver="U0STRANGER", verdict="approve")
    with pytest.raises(InvalidRequest, match="Say why you reject it"):
        services.approvals.decide(request_id=view.id, approver=ADMINS[1], verdict="reject")
    with pytest.raises(NotAllowed, match="can cancel it"):
        services.approvals.cancel(request_id=view.id, user=ADMINS[1])
    with pytest.raises(NotAllowed, match="can comment"):
        services.approvals.comment(request_id=view.id, author="U0STRANGER", text="hi")
    with pytest.raises(RequestNotFound, match="There is no request AR-99"):
        services.approvals.decide(request_id=99, approver=ADMINS[1], verdict="approve")

    rejected = services.approvals.decide(request_id=view.id, approver=ADMINS[1], verdict="reject", reason="no eval")
    assert rejected.final and rejected.request.status == "rejected"
    for attempt in (
        lambda: services.approvals.decide(request_id=view.id, approver=ADMINS[2], verdict="approve"),
        lambda: services.approvals.cancel(request_id=view.id, user=ADMINS[0]),
        lambda: services.approvals.comment(request_id=view.id, author=ADMINS[2], text="too late"),
    ):
        with pytest.raises(AlreadyDecided, match=f"AR-1 was already rejected by <@{ADMINS[1]}>"):
            attempt()
    assert final_events(database) == ["approval.rejected"]


@pytest.mark.parametrize("policy_text", [TWO_GROUPS_POLICY])
def test_a_quorum_needs_distinct_people_from_its_required_groups(database: Database, policy_text: str) -> None:
    services = make_services(database, policy_text)
    view = file_deploy(services)
    assert view.tier == "high" and set(view.route.eligible) == {SECURITY, LEAD}
    first = services.approvals.decide(request_id=view.id, approver=SECURITY, verdict="approve")
    assert not first.final and first.request.quorum.missing == {"ml-leads": 1}
    with pytest.raises(AlreadyDecided, match="You already approved AR-1"):
        services.approvals.decide(request_id=view.id, approver=SECURITY, verdict="approve")
    second = services.approvals.decide(request_id=view.id, approver=LEAD, verdict="approve")
    assert second.final and second.request.status == "approved"
    assert second.request.execution_status == "pending"


def test_a_request_is_decided_by_the_rules_it_was_filed_under(database: Database) -> None:
    view = file_deploy(make_services(database))
    stricter = make_services(database, QUORUM_TWO.replace("$FACTORY_ADMINS", "[U0OTHER01]"))
    decided = stricter.approvals.decide(request_id=view.id, approver=ADMINS[1], verdict="approve")
    assert decided.final  # the route frozen at filing: one admin was enough


def test_the_audit_trail_refuses_update_and_delete(database: Database) -> None:
    file_deploy(make_services(database))
    for statement in ("UPDATE approval_audit_events SET kind = 'x'", "DELETE FROM approval_audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            with database.engine.begin() as conn:
                conn.execute(text(statement))
    with database.unit_of_work() as uow:
        assert [e.kind for e in store.audit_for(uow.session, 1)] == ["requested"]


# -- concurrency ------------------------------------------------------------------------------------


def test_approvers_clicking_at_once_give_one_decision_each_and_one_final_transition(database: Database) -> None:
    executor = CountingExecutor(delay=0.05)
    services = make_services(database, QUORUM_TWO, executor)
    view = file_deploy(services)

    def click(i: int) -> object:
        decided = services.approvals.decide(request_id=view.id, approver=ADMINS[i % 4], verdict="approve")
        services.approval_routing.execute_if_approved(request_id=view.id)
        return decided

    results = run_together(8, click)  # four approvers, each clicking twice
    decided = [r for r in results if isinstance(r, Decided)]
    refused = [r for r in results if isinstance(r, AlreadyDecided)]
    assert len(decided) == 2 and len(refused) == 6, results
    assert sum(d.final for d in decided) == 1
    with database.unit_of_work() as uow:
        decisions = store.decisions_for(uow.session, view.id)
        kinds = [e.kind for e in store.audit_for(uow.session, view.id)]
    assert len(decisions) == 2 and len({d.approver for d in decisions}) == 2
    assert kinds == ["requested", "approved", "approved", "executed"]
    assert final_events(database) == ["approval.approved"]
    assert executor.calls == ["AR-1"]


def test_one_approver_clicking_many_times_decides_once(database: Database) -> None:
    services = make_services(database, QUORUM_TWO)
    view = file_deploy(services)
    results = run_together(6, lambda i: services.approvals.decide(request_id=view.id, approver=ADMINS[0], verdict="approve"))
    assert sum(isinstance(r, Decided) for r in results) == 1
    assert all(isinstance(r, AlreadyDecided) and "You already approved AR-1" in str(r)
               for r in results if not isinstance(r, Decided))
    with database.unit_of_work() as uow:
        assert len(store.decisions_for(uow.session, view.id)) == 1


def test_approve_and_cancel_racing_end_in_exactly_one_outcome(database: Database) -> None:
    services = make_services(database)
    view = file_deploy(services)

    def act(i: int) -> object:
        if i % 2:
            return services.approvals.cancel(request_id=view.id, user=REQUESTER)
        return services.approvals.decide(request_id=view.id, approver=ADMINS[i // 2], verdict="approve")

    results = run_together(6, act)
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert len(final_events(database)) == 1


def test_execution_is_claimed_once_however_many_callers(database: Database) -> None:
    executor = CountingExecutor(delay=0.05)
    services = make_services(database, executor=executor)
    view = file_deploy(services)
    services.approvals.decide(request_id=view.id, approver=ADMINS[1], verdict="approve")
    results = run_together(8, lambda i: services.approval_routing.execute_if_approved(request_id=view.id))
    assert sum(r is not None for r in results) == 1
    assert executor.calls == ["AR-1"]


# -- one pending request for one thing --------------------------------------------------------------


def file_same_deploy(services: Services, requester: str = REQUESTER, version: str = "3", **how: object) -> Filed:
    return services.approvals.file_request(requester=requester, type_id="model_deployment",
                                           fields={"model": "churn", "version": version, "alias": "production"},
                                           **{"source": "command", "answers": {}, **how})


def test_asking_again_for_a_pending_request_answers_with_it_and_files_nothing(database: Database) -> None:
    notifier = FakeNotifier()
    services = make_services(database, notifier=notifier)
    first = file_same_deploy(services)
    services.approval_routing.route_new(first)
    sent = list(notifier.posted)
    again = file_same_deploy(services)
    by_form = file_same_deploy(services, source="modal", justification="really",
                               answers={"personal_data": "no", "external": "no", "monthly_cost": "0"})
    for filed in (again, by_form):
        assert (filed.request.public_id, filed.request.status, filed.existing) == ("AR-1", "pending", True)
        services.approval_routing.route_new(filed)
    assert not first.existing and notifier.posted == sent  # nothing sent twice
    with database.unit_of_work() as uow:
        assert [r.public_id for r in store.list_requests(uow.session)] == ["AR-1"]
        assert [e.kind for e in store.audit_for(uow.session, 1)] == ["requested"]

    services.approvals.cancel(request_id=first.request.id, user=REQUESTER)
    assert file_same_deploy(services).request.public_id == "AR-2"  # nothing pending: a new request


def test_a_rollback_waiting_for_approval_is_asked_for_once(database: Database) -> None:
    rule = "  - name: rollback to the previous version\n    when: {type: model_rollback}\n    tier: low\n"
    assert rule in default_policy_text()
    services = make_services(database, default_policy_text().replace(rule, ""))

    def rollback(requester: str) -> Filed:
        return services.approvals.file_request(requester=requester, type_id="model_rollback", source="rollback",
                                               fields={"model": "churn", "alias": "production", "version": "2"},
                                               answers={})

    first = rollback(REQUESTER)
    assert first.request.status == "pending" and rollback(REQUESTER) == replace(first, existing=True)
    with pytest.raises(AlreadyRequested, match=f"<@{REQUESTER}> already asked for this: AR-1 is pending"):
        rollback("U0MEMBER2")


def test_someone_else_asking_for_the_same_deployment_is_pointed_to_the_pending_one(database: Database) -> None:
    services = make_services(database)
    file_same_deploy(services)
    with pytest.raises(AlreadyRequested) as refused:
        file_same_deploy(services, requester=ADMINS[0])
    assert str(refused.value) == (
        f"<@{REQUESTER}> already asked for this: AR-1 is pending (0 of 1 approval; needs 1 more approval). "
        "`/approval status AR-1` shows where it stands. You are one of its approvers: you can decide on it "
        "or comment on it from its message."
    )
    with pytest.raises(AlreadyRequested, match=f"AR-1 is pending .* ask <@{REQUESTER}> or its approvers to comment"):
        file_same_deploy(services, requester="U0MEMBER2")
    # Access is per person: the same data access for two people is two requests.
    for person in (REQUESTER, "U0MEMBER2"):
        services.approvals.file_request(requester=person, type_id="data_access", justification="x",
                                        fields={"dataset": "sales", "access": "read"},
                                        answers={"personal_data": "no", "external": "no", "monthly_cost": "0"})
    with database.unit_of_work() as uow:
        assert len(store.list_requests(uow.session)) == 3


def test_identical_requests_filed_at_once_give_one_request(database: Database) -> None:
    services = make_services(database)
    results = run_together(6, lambda i: file_same_deploy(services))
    assert all(isinstance(r, Filed) and r.request.public_id == "AR-1" for r in results), results
    assert sum(not r.existing for r in results) == 1

    people = (REQUESTER, "U0MEMBER2")  # two people asking for version 4 at once: whoever is first asked
    results = run_together(6, lambda i: file_same_deploy(services, requester=people[i % 2], version="4"))
    filed = [r for r in results if isinstance(r, Filed)]
    assert len(filed) == 3 and {(r.request.public_id, r.request.requester) for r in filed} == {("AR-2", filed[0].request.requester)}
    assert [type(r) for r in results if not isinstance(r, Filed)] == [AlreadyRequested] * 3, results
    with database.unit_of_work() as uow:
        assert len(store.list_requests(uow.session)) == 2


# -- delivery, SLA and execution after the fact -------------------------------------------------------


def test_delivery_skips_the_requester_and_what_was_already_sent(database: Database) -> None:
    notifier = FakeNotifier()
    services = make_services(database, notifier=notifier)
    view = file_deploy(services, requester=ADMINS[0])
    services.approval_routing.deliver(request_id=view.id)
    services.approval_routing.deliver(request_id=view.id)
    assert notifier.posted == [("requester", ADMINS[0])] + [("approver", a) for a in ADMINS[1:]]


def test_the_sla_tick_sends_each_step_once_and_retries_what_failed(database: Database) -> None:
    notifier = FakeNotifier()
    services = make_services(database, QUORUM_TWO, notifier=notifier)
    notifier.failing = True
    view = file_deploy(services)
    assert services.approval_routing.deliver(request_id=view.id).failed  # Slack is down: nothing lost
    notifier.failing = False
    services.approvals.decide(request_id=view.id, approver=ADMINS[0], verdict="approve", now=T0)

    first = services.approval_routing.sla_tick(now=T0 + timedelta(minutes=70))
    assert (first.reminded, first.retried) == (1, 1)
    assert ("reminder", ADMINS[1:]) in notifier.notices  # not the requester, not who already approved
    assert len(notifier.posted) == 5
    again = services.approval_routing.sla_tick(now=T0 + timedelta(minutes=75))
    assert (again.reminded, again.retried) == (0, 0)
    assert services.approval_routing.sla_tick(now=T0 + timedelta(hours=9)).reminded == 1  # step 2, the last
    assert services.approval_routing.sla_tick(now=T0 + timedelta(hours=20)).reminded == 0
    assert [n[0] for n in notifier.notices] == ["reminder", "reminder"]


def test_an_approved_deployment_nobody_handed_over_is_handed_over_by_the_tick(database: Database) -> None:
    executor = CountingExecutor()
    services = make_services(database, executor=executor)
    view = file_deploy(services)
    services.approvals.decide(request_id=view.id, approver=ADMINS[1], verdict="approve", now=T0)  # process dies here
    assert services.approval_routing.sla_tick(now=T0 + timedelta(minutes=1)).executed == 0
    assert services.approval_routing.sla_tick(now=T0 + timedelta(minutes=3)).executed == 1
    assert services.approval_routing.sla_tick(now=T0 + timedelta(minutes=9)).executed == 0
    assert executor.calls == ["AR-1"]
    services.approval_routing.settle(request_id=view.id, final=True)
    assert executor.calls == ["AR-1"]


def test_a_failing_executor_is_recorded_not_lost(database: Database) -> None:
    class Broken(CountingExecutor):
        def execute(self, request: RequestView) -> None:
            raise RuntimeError("mlflow unreachable")

    services = make_services(database, executor=Broken())
    view = file_deploy(services)
    services.approvals.decide(request_id=view.id, approver=ADMINS[1], verdict="approve")
    done = services.approval_routing.execute_if_approved(request_id=view.id)
    assert (done.execution_status, done.execution_detail) == ("failed", "RuntimeError: mlflow unreachable")


# -- looking --------------------------------------------------------------------------------------------


def test_a_guild_must_exist_and_be_open(database: Database) -> None:
    with pytest.raises(InvalidRequest, match="No open guild called `nope`"):
        file_deploy(make_services(database), guild="nope")


def test_lists_and_export(database: Database) -> None:
    services = make_services(database)
    a = file_deploy(services)
    file_deploy(services, requester=ADMINS[0], alias="staging")
    services.approvals.comment(request_id=a.id, author=REQUESTER, text="ping, with a comma")
    assert [v.public_id for v in services.approval_reports.list_for(user=REQUESTER, scope="mine")] == ["AR-1"]
    assert [v.public_id for v in services.approval_reports.list_for(user=ADMINS[0], scope="pending")] == ["AR-1"]
    assert [v.public_id for v in services.approval_reports.list_for(user=ADMINS[1], scope="pending")] == ["AR-2", "AR-1"]
    rows = services.approval_reports.export_rows(since=T0 - timedelta(days=1))
    assert [(r["request"], r["event"]) for r in rows] == [("AR-1", "requested"), ("AR-2", "requested"), ("AR-1", "commented")]
    csv_text = format_export(rows, "csv")
    assert csv_text.splitlines()[0] == "request,type,requester,guild,tier,rule,status,event_at,event,actor,reason,fields"
    assert '"ping, with a comma"' in csv_text
