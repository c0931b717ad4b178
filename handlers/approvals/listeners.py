"""Approvals in Slack: ``/approval request|status|list``, the buttons and the modals.

Thin on purpose: each listener parses the payload, calls the approvals services, renders
with :mod:`handlers.approvals.views` and answers.  Every rule (self-approval, eligibility,
quorum, decided requests, a deployment's version) is enforced by the service, so a crafted
payload gets the same refusal as a click.  Buttons acknowledge first and do their work on
the after-ack pool; what follows a committed change (DMs, ``chat.update``) runs there too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.approvals.model import ApprovalError, Filed, InvalidRequest, RequestView
from bot.approvals.policy import MODEL_ROLLBACK
from bot.approvals.reports import LIST_LIMIT, SCOPES, parse_request_id
from bot.services import Services
from handlers import blocks
from handlers.after_ack import AfterAckPool, ack_then
from handlers.approvals import views
from handlers.errors import Listeners
from handlers.parsing import action_value, first_action, form_values, quoted, user_of, whole_number
from handlers.slash import CommandContext, Reply, Routes, after_ack

# -- slash commands ------------------------------------------------------------------------------


def open_request_form(ctx: CommandContext) -> Reply | None:
    policy = ctx.services.policy
    type_id = ctx.args[0].lower() if ctx.args else views.form_types(policy)[0].id
    if type_id == MODEL_ROLLBACK:
        return ctx.usage_error("Rollbacks are filed with `/model rollback <name> [alias]`: it knows which "
                               "version the alias goes back to.")
    if policy.request_type(type_id) is None:
        return ctx.usage_error(f"`{quoted(ctx.args[0])}` is not a request type. Types: "
                               f"{', '.join(f'`{t.id}`' for t in views.form_types(policy))}.")
    modal = views.request_modal(policy, type_id=type_id, guilds=ctx.services.approvals.open_guilds())
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=modal)
    return None


def show_status(ctx: CommandContext) -> Reply:
    if len(ctx.args) != 1:
        return ctx.usage_error("Which request? For example `/approval status AR-42`.")
    try:
        view, events = ctx.services.approval_reports.timeline(request_id=parse_request_id(ctx.args[0]))
    except ApprovalError as exc:
        return blocks.error_message(str(exc))
    return views.status_message(view, events)


def show_list(ctx: CommandContext) -> Reply:
    scope = ctx.args[0].lower() if ctx.args else "mine"
    if len(ctx.args) > 1 or scope not in SCOPES:
        return ctx.usage_error(f"List `mine`, `pending` or `all`, not `{' '.join(ctx.args)}`.")
    found = ctx.services.approval_reports.list_for(user=ctx.user_id, scope=scope)
    return views.list_message(scope, found, limit=LIST_LIMIT)


ROUTES: Routes = {
    # A modal: opened after the ack, so a slow or failing views.open reaches the person
    # through respond instead of running past Slack's 3 seconds.
    ("/approval", "request"): after_ack(open_request_form),
    ("/approval", "status"): show_status,
    ("/approval", "list"): show_list,
}


def route_new(services: Services, pool: AfterAckPool, filed: Filed) -> None:
    """Tell the approvers and the requester once the reply has gone; if the pool is full the
    SLA job delivers it (the request's delivery is claimed in the database when it is filed)."""
    pool.submit(services.approval_routing.route_new, filed)


# -- buttons and modals ------------------------------------------------------------------------


def register(app: Listeners, services: Services, after_ack: AfterAckPool) -> None:
    routing = services.approval_routing

    def later(ack: Ack, respond: Respond, work: Callable[[], None]) -> None:
        """Run a button's work after its ack; a refusal becomes an ephemeral answer to the clicker."""

        def run() -> None:
            try:
                work()
            except ApprovalError as exc:
                respond(**blocks.error_message(str(exc)), response_type="ephemeral", replace_original=False)

        ack_then(ack, respond, after_ack, run)

    def type_changed(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        if not view.get("id"):  # only the request form has the type picker
            return
        selected = first_action(body).get("selected_option")
        type_id = str(selected.get("value", "")) if isinstance(selected, dict) else ""
        modal = views.request_modal(services.policy, type_id=type_id, guilds=services.approvals.open_guilds())
        client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=modal)

    def approve(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        def work() -> None:
            decided = services.approvals.decide(request_id=_button_request(body), approver=user_of(body),
                                                verdict="approve")
            routing.settle(request_id=decided.request.id, final=decided.final)

        later(ack, respond, work)

    def reason_modal(check: Callable[..., RequestView], callback_id: str) -> Callable[..., None]:
        """Reject and Comment: refuse at once, or open the modal that asks for the text.  Not on
        the pool: a modal must open within 3 seconds of the click (its trigger_id expires)."""

        def open_modal(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
            ack()
            try:
                view = check(request_id=_button_request(body), user=user_of(body))
            except ApprovalError as exc:
                respond(**blocks.error_message(str(exc)), response_type="ephemeral", replace_original=False)
                return
            client.views_open(trigger_id=str(body.get("trigger_id") or ""),
                              view=views.reason_modal(view, callback_id=callback_id))

        return open_modal

    def cancel(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        def work() -> None:
            view = services.approvals.cancel(request_id=_button_request(body), user=user_of(body))
            routing.settle(request_id=view.id, final=True)

        later(ack, respond, work)

    def request_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = form_values(view)
        type_id = _metadata_type(view)
        try:
            filed = services.approvals.file_request(
                requester=user_of(body), type_id=type_id, source="modal",
                fields=_prefixed(values, "field:"), answers=_prefixed(values, "answer:"),
                justification=_value(values.get("justification")) or "", guild=_value(values.get("guild")) or None,
            )
        except InvalidRequest as exc:
            ack(response_action="errors", errors=_errors(exc.problems or {"type": str(exc)}, view, values))
            return
        except ApprovalError as exc:
            ack(response_action="errors", errors=_errors({"type": str(exc)}, view, values))
            return
        if filed.existing:  # the same person asked again: keep the form open and say where it stands
            already = (f"You already asked for this: {filed.request.public_id} is still pending. "
                       f"`/approval status {filed.request.public_id}` shows its timeline.")
            ack(response_action="errors", errors=_errors({"type": already}, view, values))
            return
        route_new(services, after_ack, filed)
        ack()

    def reject_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = _value(form_values(view).get("reason")) or ""
        try:
            decided = services.approvals.decide(request_id=_modal_request(view), approver=user_of(body),
                                                verdict="reject", reason=reason)
        except ApprovalError as exc:
            ack(response_action="errors", errors={"reason": str(exc)})
            return
        after_ack.submit(routing.settle, request_id=decided.request.id, final=decided.final)
        ack()

    def comment_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = _value(form_values(view).get("comment")) or ""
        try:
            commented = services.approvals.comment(request_id=_modal_request(view), author=user_of(body), text=text)
        except ApprovalError as exc:
            ack(response_action="errors", errors={"comment": str(exc)})
            return
        after_ack.submit(routing.refresh, request_id=commented.id)
        ack()

    app.action(views.TYPE_ACTION)(type_changed)
    app.action(views.APPROVE_ACTION)(approve)
    app.action(views.REJECT_ACTION)(reason_modal(services.approvals.check_can_decide, views.REJECT_CALLBACK))
    app.action(views.COMMENT_ACTION)(reason_modal(services.approvals.check_can_comment, views.COMMENT_CALLBACK))
    app.action(views.CANCEL_ACTION)(cancel)
    app.view(views.REQUEST_CALLBACK)(request_submitted)
    app.view(views.REJECT_CALLBACK)(reject_submitted)
    app.view(views.COMMENT_CALLBACK)(comment_submitted)


def _button_request(body: dict[str, Any]) -> int:
    request_id = whole_number(action_value(body), low=1)
    if request_id is None:
        raise InvalidRequest("That button does not belong to a request I know.")
    return request_id


def _modal_request(view: dict[str, Any]) -> int:
    request_id = whole_number(view.get("private_metadata"), low=1)
    if request_id is None:
        raise InvalidRequest("This form does not belong to a request I know.")
    return request_id


def _metadata_type(view: dict[str, Any]) -> str:
    """The request type the form was drawn for (``{"type": …}`` in its private metadata), or ``""``."""
    try:
        metadata = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        return ""
    found = metadata.get("type") if isinstance(metadata, dict) else None
    return found if isinstance(found, str) else ""


def _value(entry: dict[str, Any] | None) -> str | None:
    """The value of an input block's element, whatever its type."""
    for state in (entry or {}).values():
        if not isinstance(state, dict):
            continue
        if isinstance(state.get("selected_option"), dict):
            return str(state["selected_option"].get("value", ""))
        if state.get("value") is not None:
            return str(state["value"])
    return None


def _prefixed(values: dict[str, Any], prefix: str) -> dict[str, str | None]:
    return {block[len(prefix):]: _value(entry) for block, entry in values.items() if block.startswith(prefix)}


def _errors(problems: dict[str, str], view: dict[str, Any], values: dict[str, Any]) -> dict[str, str]:
    """Slack shows ``errors`` under input blocks of the view; a problem without its block goes under the first."""
    blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
    known = set(values) | {b.get("block_id") for b in blocks if isinstance(b, dict)}
    errors: dict[str, str] = {}
    for block, problem in problems.items():
        target = block if block in known else "type"
        errors.setdefault(target, problem)
    return errors
