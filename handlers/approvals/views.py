"""Block Kit for approvals: the request message (approver DM, channel post, requester receipt),
the one-off notices, the request / reject / comment modals, status timelines and lists.

A request message is re-rendered from the request's current state on every change and
sent with ``chat.update``, so one function draws it for every moment of its life.
Text people typed is escaped (``&``, ``<``, ``>``) so it can never ping a channel.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    DividerBlock,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.blocks.basic_components import MarkdownTextObject
from slack_sdk.models.views import View

from bot.approvals.model import EventView, Filed, RequestView
from bot.approvals.policy import MODEL_ROLLBACK, Policy, RequestType, describe_groups
from bot.text import plural
from handlers.blocks import Message, context, message, section, when
from handlers.parsing import escape

APPROVE_ACTION = "approval_approve"
REJECT_ACTION = "approval_reject"
COMMENT_ACTION = "approval_comment"
CANCEL_ACTION = "approval_cancel"
TYPE_ACTION = "approval_type"
REQUEST_CALLBACK = "approval_request"
REJECT_CALLBACK = "approval_reject_reason"
COMMENT_CALLBACK = "approval_comment_text"

_STATUS_ICON = {"pending": ":hourglass_flowing_sand:", "approved": ":white_check_mark:", "rejected": ":x:",
                "cancelled": ":no_entry_sign:", "expired": ":alarm_clock:"}
_EVENT_TEXT = {
    "requested": "requested", "auto_approved": "auto-approved", "approved": "approved", "rejected": "rejected",
    "commented": "commented", "cancelled": "cancelled", "reminded": "reminder sent", "escalated": "escalated",
    "expired": "expired",
}
_EXECUTED_TEXT = {"succeeded": "deployment done", "failed": "deployment failed", "handed_over": "deployment under way"}
_SECTION_LIMIT = 2900


def _cut(text: str, limit: int = _SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary(view: RequestView) -> str:
    """``churn v3 → production`` for a deployment, else the first field values."""
    f = view.field_values
    if view.type_id == "model_deployment" and {"model", "version"} <= f.keys():
        return f"{escape(f['model'])} v{escape(f['version'])} → {escape(f.get('alias', '?'))}"
    return ", ".join(escape(v) for _, v in view.fields[:2]) or view.type_label


def status_line(view: RequestView) -> str:
    icon = _STATUS_ICON.get(view.status, "")
    if view.pending:
        return f"{icon} *Waiting* — {view.quorum.describe()} from {describe_groups(view.route.groups)}"
    return f"{icon} *{view.status.capitalize()}* — {outcome(view)}"


def outcome(view: RequestView) -> str:
    """Who decided what, and when (in the reader's zone)."""
    at = when(view.decided_at)
    if view.status == "approved" and view.decided_by == "policy":
        return f"auto-approved by the policy (rule “{escape(view.matched_rule or '')}”) {at}"
    if view.status == "approved":
        return f"approved by {', '.join(f'<@{d.approver}>' for d in view.decisions if d.verdict == 'approve')} {at}"
    if view.status == "rejected":
        return f"rejected by <@{view.decided_by}> {at}: {escape(view.decision_reason or '')}"
    if view.status == "cancelled":
        return f"cancelled by <@{view.decided_by}> {at}"
    return f"expired without a decision {at}"


def request_blocks(view: RequestView, *, role: str) -> list[Block]:
    """The request as ``role`` (approver, channel, requester, status) sees it, buttons while pending."""
    intro = {
        "approver": f"<@{view.requester}> asks for your approval",
        "channel": f"<@{view.requester}> asks for approval by {describe_groups(view.route.groups)}",
        "requester": "Your request",
    }.get(role, f"Requested by <@{view.requester}>")
    guild = f" · guild *{escape(view.guild)}*" if view.guild else ""
    blocks: list[Block] = [section(f"*{view.public_id} · {escape(view.type_label)}* — {intro}{guild}")]
    fields = [MarkdownTextObject(text=_cut(f"*{escape(label)}*\n{escape(value)}", 1900)) for label, value in view.fields[:10]]
    if fields:
        blocks.append(SectionBlock(fields=fields))
    if view.justification:
        blocks.append(section(_cut(f"*Why*\n{escape(view.justification)}")))
    answers = " · ".join(f"{escape(q)} *{escape(a)}*" for q, a in view.answers)
    rule = f"rule “{escape(view.matched_rule)}”" if view.matched_rule else "the default tier"
    blocks.append(context(_cut(f"Risk *{view.tier}* ({rule})" + (f" · {answers}" if answers else ""))))
    blocks.append(section(_cut(status_line(view))))
    lines = [_decision_line(d) for d in view.decisions]
    lines += [f":speech_balloon: <@{c.actor}>: {escape(c.reason)}" for c in view.comments[-3:]]
    if view.execution_status not in ("none", "pending"):
        lines.append(f":rocket: {escape(view.execution_detail or view.execution_status)}")
    if lines:
        blocks.append(context(_cut("\n".join(lines))))
    if view.pending and role in ("approver", "channel", "requester"):
        blocks.append(_actions(view, role=role))
    return blocks


def _decision_line(d: Any) -> str:
    if d.verdict == "approve":
        return f":white_check_mark: <@{d.approver}> approved {when(d.at)}" + (f": {escape(d.reason)}" if d.reason else "")
    return f":x: <@{d.approver}> rejected {when(d.at)}: {escape(d.reason)}"


def _actions(view: RequestView, *, role: str) -> ActionsBlock:
    value = str(view.id)
    comment = ButtonElement(text="Comment", action_id=COMMENT_ACTION, value=value)
    if role == "requester":
        confirm = ConfirmObject(title="Cancel this request?", text=f"{view.public_id} will be withdrawn.",
                                confirm="Cancel it", deny="Keep it")
        cancel = ButtonElement(text="Cancel request", action_id=CANCEL_ACTION, value=value, style="danger",
                               confirm=confirm)
        return ActionsBlock(block_id=f"approval:{view.id}", elements=[comment, cancel])
    return ActionsBlock(block_id=f"approval:{view.id}", elements=[
        ButtonElement(text="Approve", action_id=APPROVE_ACTION, value=value, style="primary"),
        ButtonElement(text="Reject", action_id=REJECT_ACTION, value=value, style="danger"),
        comment,
    ])


def request_message(view: RequestView, *, role: str) -> Message:
    text = f"{view.public_id}: {view.type_label} ({summary(view)}) from <@{view.requester}> — {view.status}"
    return message(_cut(text, 3000), request_blocks(view, role=role))


def notice_message(view: RequestView, *, kind: str) -> Message:
    """A one-off DM: a reminder, an escalation, or the requester's outcome."""
    what = f"*{view.public_id}* ({escape(view.type_label)}: {summary(view)}) from <@{view.requester}>"
    if kind == "reminder":
        text = (f":alarm_clock: Reminder: {what} has waited for your decision since {when(view.created_at)}. "
                "Its buttons are in the message above.")
    elif kind == "escalation":
        text = (f":rotating_light: Escalation: {what} has had no decision since {when(view.created_at)}. "
                f"{view.quorum.describe()} from {describe_groups(view.route.groups)}.")
    elif kind == "unreachable":
        text = (f":warning: Nobody but you can approve {what} under the current policy, so it will wait for "
                "escalation. Ask an admin to add approvers to the policy (`factorybot policy check`).")
    else:
        text = f"{status_line(view)}\n{what}"
    blocks = [section(_cut(text)), context(f"`/approval status {view.public_id}` shows the whole timeline.")]
    return message(_cut(text.replace("*", ""), 3000), blocks)


def filed_message(filed: Filed) -> Message:
    """The ephemeral answer to ``/model deploy`` and ``/model rollback``."""
    view = filed.request
    text = f"Filed *{view.public_id}* ({escape(view.type_label)}: {summary(view)})."
    if filed.existing:
        text = (f"You already asked for this: *{view.public_id}* ({escape(view.type_label)}: {summary(view)}), "
                f"filed {when(view.created_at)}. {status_line(view)}. Nothing was sent again; "
                f"`/approval status {view.public_id}` shows its timeline.")
    elif view.status == "approved":
        text += f" {status_line(view)}"
    else:
        text += (f" Risk *{view.tier}*: needs {plural(view.quorum.need, 'approval')} "
                 f"from {describe_groups(view.route.groups)}. I am sending it to them; your receipt comes by DM.")
    blocks = [section(text)]
    if not filed.reachable:
        blocks.append(section(":warning: Nobody but you can approve it under the current policy: it will wait "
                              "for escalation. Ask an admin to add approvers (`factorybot policy check`)."))
    return message(text.replace("*", ""), blocks)


# -- looking ---------------------------------------------------------------------------------------


def status_message(view: RequestView, events: Sequence[EventView]) -> Message:
    lines = [f"• {when(e.at)} — {_event_text(e)}" for e in events]
    blocks = request_blocks(view, role="status") + [DividerBlock(), *_chunked("*Timeline*", lines, room=50 - 8)]
    return message(f"{view.public_id}: {view.status}", blocks[:50])


def _event_text(e: EventView) -> str:
    """``approved by <@U1>: looks good``; a deployment's outcome says what it did, not who."""
    reason = f": {escape(e.reason)}" if e.reason and e.kind != "requested" else ""
    if e.kind == "executed":
        status = str(e.detail.get("status", ""))
        return _EXECUTED_TEXT.get(status, f"deployment {status}".strip()) + reason
    actor = {"policy": "the policy", "sla": "the SLA clock"}.get(e.actor or "", f"<@{e.actor}>" if e.actor else "—")
    return f"{_EVENT_TEXT.get(e.kind, e.kind)} by {actor}{reason}"


def list_message(scope: str, views: Sequence[RequestView], *, limit: int) -> Message:
    title = {"mine": "Your requests", "pending": "Waiting for your decision", "all": "All requests"}[scope]
    if not views:
        text = f"{title}: none." + (" File one with `/approval request`." if scope == "mine" else "")
        return message(text, [section(text)])
    lines = [
        f"{_STATUS_ICON.get(v.status, '')} `{v.public_id}` {escape(v.type_label)}: {summary(v)} · *{v.status}*"
        + (f" ({v.quorum.have}/{v.quorum.need})" if v.pending else "")
        + (f" · <@{v.requester}>" if scope != "mine" else "") + f" · {when(v.created_at)}"
        for v in views
    ]
    blocks = _chunked(f"*{title}*" + (f" (newest {limit})" if len(views) >= limit else ""), lines, room=48)
    blocks.append(context("`/approval status AR-n` for a request's whole timeline."))
    return message(f"{title}: {len(views)}", blocks)


def _chunked(title: str, lines: list[str], *, room: int) -> list[Block]:
    """Lines packed into as few sections as the 3000-character limit allows."""
    blocks: list[Block] = []
    current = title
    for line in lines:
        line = _cut(line, 1000)
        if len(current) + 1 + len(line) > _SECTION_LIMIT:
            blocks.append(section(current))
            current = line
        else:
            current = f"{current}\n{line}"
    blocks.append(section(current))
    return blocks[:room]


def home_section(*, waiting: Sequence[RequestView], mine: Sequence[RequestView]) -> list[Block]:
    """The Home tab's approvals part: what waits for this person, and their own open requests."""
    head = (f"*Approvals* — {len(waiting)} waiting for your decision · {len(mine)} of your requests open"
            if waiting or mine else "*Approvals* — nothing waiting for you. `/approval request` asks for something.")
    lines = [f"• `{v.public_id}` {escape(v.type_label)}: {summary(v)} from <@{v.requester}>" for v in waiting[:5]]
    lines += [f"• `{v.public_id}` yours: {summary(v)} — {v.quorum.describe()}" for v in mine[:5]]
    return [section(_cut("\n".join([head, *lines])))]


# -- modals --------------------------------------------------------------------------------------------


def form_types(policy: Policy) -> list[RequestType]:
    """The types the request form offers: all but rollbacks, which ``/model rollback`` files
    (it knows which version the alias goes back to)."""
    return [t for t in policy.request_types if t.id != MODEL_ROLLBACK]


def request_modal(policy: Policy, *, type_id: str, guilds: Sequence[str] = ()) -> dict[str, Any]:
    """The request form for ``type_id`` (the first type the form offers if it offers no such type):
    the type picker (changing it redraws the form with ``views.update``), the type's fields,
    the justification and the policy's risk questions."""
    offered = form_types(policy)
    rtype = next((t for t in offered if t.id == type_id), offered[0])
    types = [Option(value=t.id, text=t.label) for t in offered]
    picked = types[offered.index(rtype)]
    blocks: list[Block] = [
        InputBlock(block_id="type", label="What do you need?", dispatch_action=True,
                   element=StaticSelectElement(action_id=TYPE_ACTION, options=types, initial_option=picked)),
    ]
    if rtype.description:
        blocks.append(context(escape(rtype.description)))
    for spec in rtype.fields:
        if spec.kind == "choice":
            element: Any = StaticSelectElement(action_id="value", options=[Option(value=c, text=c) for c in spec.choices])
        else:
            element = PlainTextInputElement(action_id="value", initial_value=spec.default or None,
                                            max_length=spec.max_length)
        blocks.append(InputBlock(block_id=f"field:{spec.id}", label=spec.label, element=element,
                                 optional=not spec.required, hint=spec.hint or None))
    blocks.append(InputBlock(block_id="justification", label="Why do you need it?",
                             element=PlainTextInputElement(action_id="value", multiline=True, max_length=3000)))
    if guilds:
        blocks.append(InputBlock(block_id="guild", label="For a guild?", optional=True, element=StaticSelectElement(
            action_id="value", options=[Option(value=g, text=g) for g in guilds[:100]])))
    if policy.questions:
        blocks += [DividerBlock(), section("*Risk questions* — they decide who has to approve.")]
    for q in policy.questions:
        if q.kind == "yes_no":
            element = StaticSelectElement(action_id="value", options=[Option(value="yes", text="Yes"),
                                                                      Option(value="no", text="No")])
        elif q.kind == "number":
            element = NumberInputElement(action_id="value", is_decimal_allowed=True, min_value="0")
        else:
            element = StaticSelectElement(action_id="value", options=[Option(value=c, text=c) for c in q.choices])
        blocks.append(InputBlock(block_id=f"answer:{q.id}", label=q.label, element=element, optional=not q.required))
    view = View(type="modal", callback_id=REQUEST_CALLBACK, title="New request", submit="Submit", close="Cancel",
                private_metadata=json.dumps({"type": rtype.id}), blocks=blocks[:100])
    return view.to_dict()


def reason_modal(view: RequestView, *, callback_id: str) -> dict[str, Any]:
    """The Reject reason or the Comment text, for one request."""
    rejecting = callback_id == REJECT_CALLBACK
    label = "Why do you reject it?" if rejecting else "Your comment"
    block_id = "reason" if rejecting else "comment"
    modal = View(
        type="modal", callback_id=callback_id, title="Reject request" if rejecting else "Comment",
        submit="Reject" if rejecting else "Post", close="Back", private_metadata=str(view.id),
        blocks=[
            section(_cut(f"*{view.public_id} · {escape(view.type_label)}* — {summary(view)} from <@{view.requester}>")),
            InputBlock(block_id=block_id, label=label,
                       element=PlainTextInputElement(action_id="value", multiline=True, max_length=2000)),
        ],
    )
    return modal.to_dict()
