"""Approvals in Slack: ``/approval request|status|list``, ``/model deploy``, the buttons and the modals.

Thin on purpose: each listener parses the payload, calls :mod:`bot.approvals.service`, renders
with :mod:`handlers.approvals.views` and answers.  Every rule (self-approval, eligibility,
quorum, decided requests) is enforced by the service, so a crafted payload gets the
same refusal as a click.  Action listeners ``ack()`` first; Web API work that follows a
committed change (DMs, ``chat.update``) runs after the acknowledgement, and for slash
commands, whose reply *is* the acknowledgement, on a small background pool.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.approvals import service as approvals
from handlers import blocks as views
from handlers.approvals.notifier import SlackApprovalNotifier
from bot.approvals.reports import LIST_LIMIT, SCOPES, list_for, parse_request_id, timeline
from bot.approvals.routing import deliver, refresh, settle
from bot.approvals.service import ApprovalError, Filed, InvalidRequest
from bot.approvals.policy import MODEL_DEPLOYMENT
from bot.services import Services
from handlers.approvals import views as approval_views
from handlers.commands import CommandContext, Reply, SubHandler, after_ack
from handlers.home import HOME_SECTIONS

log = logging.getLogger(__name__)


# -- slash commands ------------------------------------------------------------------------------


def open_request_form(ctx: CommandContext) -> Reply | None:
    policy = ctx.services.policy
    type_id = ctx.args[0].lower() if ctx.args else policy.request_types[0].id
    if policy.request_type(type_id) is None:
        return ctx.usage_error(f"`{ctx.args[0]}` is not a request type. Types: "
                               f"{', '.join(f'`{t.id}`' for t in policy.request_types)}.")
    modal = approval_views.request_modal(policy, type_id=type_id, guilds=approvals.open_guilds(ctx.services))
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=modal)
    return None


def show_status(ctx: CommandContext) -> Reply:
    if len(ctx.args) != 1:
        return ctx.usage_error("Which request? For example `/approval status AR-42`.")
    try:
        view, events = timeline(ctx.services, request_id=parse_request_id(ctx.args[0]))
    except ApprovalError as exc:
        return views.error_message(str(exc))
    return approval_views.status_message(view, events)


def show_list(ctx: CommandContext) -> Reply:
    scope = ctx.args[0].lower() if ctx.args else "mine"
    if len(ctx.args) > 1 or scope not in SCOPES:
        return ctx.usage_error(f"List `mine`, `pending` or `all`, not `{' '.join(ctx.args)}`.")
    found = list_for(ctx.services, user=ctx.user_id, scope=scope)
    return approval_views.list_message(scope, found, limit=LIST_LIMIT)


def model_deploy(ctx: CommandContext) -> Reply:
    args = ctx.args
    if len(args) == 2:
        alias = ""
    elif len(args) == 4 and args[2].lower() == "to":
        alias = args[3]
    else:
        return ctx.usage_error("Say which model and version, and optionally the alias: "
                               "`/model deploy churn 3 to production`.")
    fields = {"model": args[0], "version": args[1], "alias": alias}
    if args[1].isdigit() and (problem := ctx.services.deployment_executor.validate(fields)):
        return views.error_message(problem, ctx.parsed.spec)
    try:
        filed = approvals.file_request(
            ctx.services, requester=ctx.user_id, type_id=MODEL_DEPLOYMENT, source="command",
            fields=fields, answers={},
        )
    except ApprovalError as exc:
        return views.error_message(str(exc), ctx.parsed.spec)
    route_in_background(ctx.services, ctx.client, filed)
    return approval_views.filed_message(filed)


ROUTES: dict[tuple[str, str], SubHandler] = {
    ("/approval", "request"): open_request_form,
    ("/approval", "status"): show_status,
    ("/approval", "list"): show_list,
    ("/model", "deploy"): after_ack(model_deploy),  # asks MLflow whether the version exists
}


def route_in_background(services: Services, client: WebClient, filed: Filed) -> None:
    """DM the approvers and the requester once the command has its reply (also used by ``/model rollback``)."""
    _in_background(_route_new_request, services, client, filed)


def _route_new_request(services: Services, client: WebClient, filed: Filed) -> None:
    """DM the approvers and the requester; hand an auto-approved deployment over."""
    notifier = SlackApprovalNotifier(client)
    deliver(services, notifier, request_id=filed.request.id)
    if not filed.reachable:
        notifier_safe(notifier.notify, filed.request, kind="unreachable", recipients=[filed.request.requester])
    if filed.request.execution_status == "pending":
        settle(services, notifier, request_id=filed.request.id, final=True)


def notifier_safe(send: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    try:
        send(*args, **kwargs)
    except Exception as exc:
        log.warning("approvals: a notice could not be sent: %s", exc)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


_running: set[Future[None]] = set()


def _in_background(fn: Callable[..., None], *args: Any) -> None:
    """Run Web API work after a slash command's reply has gone back as its acknowledgement."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="approvals")
        future = _pool.submit(_logged, fn, *args)
        _running.add(future)
    future.add_done_callback(_running.discard)


def wait_for_background(timeout: float = 10.0) -> None:
    """Block until the background work submitted so far is done (tests, clean shutdown)."""
    with _pool_lock:
        pending = list(_running)
    wait(pending, timeout=timeout)


def _logged(fn: Callable[..., None], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        log.exception("approvals: background %s failed", fn.__name__)


# -- buttons and modals ------------------------------------------------------------------------


def register(app: App, services: Services) -> None:
    def type_changed(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        view = body.get("view") or {}
        type_id = ((body.get("actions") or [{}])[0].get("selected_option") or {}).get("value", "")
        modal = approval_views.request_modal(services.policy, type_id=type_id, guilds=approvals.open_guilds(services))
        client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=modal)

    def approve(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        with _answering(respond):
            decided = approvals.decide(services, request_id=_button_request(body), approver=_user(body),
                                       verdict="approve")
            settle(services, SlackApprovalNotifier(client), request_id=decided.request.id, final=decided.final)

    def reject(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        with _answering(respond):
            view = approvals.check_can_decide(services, request_id=_button_request(body), user=_user(body))
            modal = approval_views.reason_modal(view, callback_id=approval_views.REJECT_CALLBACK)
            client.views_open(trigger_id=body["trigger_id"], view=modal)

    def comment(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        with _answering(respond):
            view = approvals.check_can_comment(services, request_id=_button_request(body), user=_user(body))
            modal = approval_views.reason_modal(view, callback_id=approval_views.COMMENT_CALLBACK)
            client.views_open(trigger_id=body["trigger_id"], view=modal)

    def cancel(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        with _answering(respond):
            view = approvals.cancel(services, request_id=_button_request(body), user=_user(body))
            settle(services, SlackApprovalNotifier(client), request_id=view.id, final=True)

    def request_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        values = view.get("state", {}).get("values", {})
        try:
            type_id = json.loads(view.get("private_metadata") or "{}").get("type", "")
        except ValueError:
            type_id = ""
        try:
            filed = approvals.file_request(
                services, requester=_user(body), type_id=type_id, source="modal",
                fields=_prefixed(values, "field:"), answers=_prefixed(values, "answer:"),
                justification=_value(values.get("justification")) or "", guild=_value(values.get("guild")) or None,
            )
        except InvalidRequest as exc:
            ack(response_action="errors", errors=_errors(exc.problems or {"type": str(exc)}, view, values))
            return
        except ApprovalError as exc:
            ack(response_action="errors", errors=_errors({"type": str(exc)}, view, values))
            return
        ack()
        _route_new_request(services, client, filed)

    def reject_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        reason = _value(view.get("state", {}).get("values", {}).get("reason")) or ""
        try:
            decided = approvals.decide(services, request_id=_modal_request(view), approver=_user(body),
                                       verdict="reject", reason=reason)
        except ApprovalError as exc:
            ack(response_action="errors", errors={"reason": str(exc)})
            return
        ack()
        settle(services, SlackApprovalNotifier(client), request_id=decided.request.id, final=decided.final)

    def comment_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        text = _value(view.get("state", {}).get("values", {}).get("comment")) or ""
        try:
            commented = approvals.comment(services, request_id=_modal_request(view), author=_user(body), text=text)
        except ApprovalError as exc:
            ack(response_action="errors", errors={"comment": str(exc)})
            return
        ack()
        refresh(services, SlackApprovalNotifier(client), request_id=commented.id)

    if approvals_home not in HOME_SECTIONS:  # register() runs once per app; the Home part once per process
        HOME_SECTIONS.append(approvals_home)
    app.action(approval_views.TYPE_ACTION)(type_changed)
    app.action(approval_views.APPROVE_ACTION)(approve)
    app.action(approval_views.REJECT_ACTION)(reject)
    app.action(approval_views.COMMENT_ACTION)(comment)
    app.action(approval_views.CANCEL_ACTION)(cancel)
    app.view(approval_views.REQUEST_CALLBACK)(request_submitted)
    app.view(approval_views.REJECT_CALLBACK)(reject_submitted)
    app.view(approval_views.COMMENT_CALLBACK)(comment_submitted)


def approvals_home(services: Services, user_id: str) -> list[Block]:
    waiting = list_for(services, user=user_id, scope="pending")
    mine = [v for v in list_for(services, user=user_id, scope="mine") if v.pending]
    return approval_views.home_section(waiting=waiting, mine=mine)


class _answering:
    """Turn a refusal from the service into an ephemeral answer to the person who clicked."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if isinstance(exc, ApprovalError):
            self.respond(**views.error_message(str(exc)), response_type="ephemeral", replace_original=False)
            return True
        return False


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def _button_request(body: dict[str, Any]) -> int:
    value = str((body.get("actions") or [{}])[0].get("value", ""))
    if not value.isdigit():
        raise InvalidRequest("That button does not belong to a request I know.")
    return int(value)


def _modal_request(view: dict[str, Any]) -> int:
    value = str(view.get("private_metadata") or "")
    if not value.isdigit():
        raise InvalidRequest("This form does not belong to a request I know.")
    return int(value)


def _value(entry: dict[str, Any] | None) -> str | None:
    """The value of an input block's element, whatever its type."""
    for state in (entry or {}).values():
        if not isinstance(state, dict):
            continue
        if state.get("selected_option"):
            return str(state["selected_option"].get("value", ""))
        if state.get("value") is not None:
            return str(state["value"])
    return None


def _prefixed(values: dict[str, Any], prefix: str) -> dict[str, str | None]:
    return {block[len(prefix):]: _value(entry) for block, entry in values.items() if block.startswith(prefix)}


def _errors(problems: dict[str, str], view: dict[str, Any], values: dict[str, Any]) -> dict[str, str]:
    """Slack shows ``errors`` under input blocks of the view; a problem without its block goes under the first."""
    known = set(values) | {b.get("block_id") for b in view.get("blocks") or [] if isinstance(b, dict)}
    errors: dict[str, str] = {}
    for block, problem in problems.items():
        target = block if block in known else "type"
        errors.setdefault(target, problem)
    return errors
