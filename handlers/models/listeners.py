"""``/model``: status from MLflow in chat, watches, deployments, rollbacks, and the list's paging button.

Every route here calls MLflow, so each is marked :func:`after_ack`: Slack gets its
acknowledgement at once and the answer follows through ``respond`` — a slow MLflow
never produces Slack's ``operation_timeout``.  Deployments and rollbacks are approval
requests: the models service files them, the approvals service checks them.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, Respond

from bot.approvals.model import ApprovalError
from bot.models.gateway import MlflowError
from bot.models.registry import ModelCommandError, check_alias
from bot.services import Services
from handlers.after_ack import AfterAckPool, ack_then
from handlers.approvals import views as approval_views
from handlers.approvals.listeners import route_new
from handlers.blocks import error_message
from handlers.parsing import action_value, quoted, whole_number
from handlers.errors import Listeners
from handlers.models import views
from handlers.slash import CommandContext, Reply, Routes, SubHandler, after_ack


def _guarded(handler: SubHandler) -> SubHandler:
    """MLflow and input problems become a clear ephemeral message."""

    def run(ctx: CommandContext) -> Reply | None:
        try:
            return handler(ctx)
        except MlflowError as exc:
            return views.mlflow_problem(exc)
        except (ModelCommandError, ApprovalError) as exc:
            return ctx.usage_error(str(exc))

    run.__name__ = handler.__name__
    return after_ack(run)


def _one_name(ctx: CommandContext, *, extra: int = 0) -> tuple[str, ...]:
    if not ctx.args or len(ctx.args) > 1 + extra:
        raise ModelCommandError(f"Usage: `/model {ctx.parsed.sub.usage}`")
    return ctx.args


def list_models(ctx: CommandContext) -> Reply:
    name_filter = " ".join(ctx.args)
    return views.model_list(ctx.services.models.list_models(name_filter=name_filter), name_filter=name_filter)


def status(ctx: CommandContext) -> Reply:
    name, *version = _one_name(ctx, extra=1)
    if version and whole_number(version[0], low=1) is None:
        raise ModelCommandError(f"`{quoted(version[0])}` is not a version number.")
    return views.status(ctx.services.models.status(name, version[0] if version else None))


def history(ctx: CommandContext) -> Reply:
    (name,) = _one_name(ctx)
    canonical, records = ctx.services.models.history(name)
    return views.history(canonical, records)


def watch(ctx: CommandContext) -> Reply:
    (name,) = _one_name(ctx)
    canonical, added = ctx.services.models.watch(name=name, channel_id=ctx.channel_id, user_id=ctx.user_id)
    return views.watch_result(canonical, ctx.channel_id, added, watching=True)


def unwatch(ctx: CommandContext) -> Reply:
    (name,) = _one_name(ctx)
    removed = ctx.services.models.unwatch(name=name, channel_id=ctx.channel_id, user_id=ctx.user_id)
    return views.watch_result(name, ctx.channel_id, removed, watching=False)


def deploy(ctx: CommandContext) -> Reply:
    """``/model deploy <name> <version> [to <alias>]``: file a deployment request."""
    args = ctx.args
    if len(args) == 2:
        alias = ""
    elif len(args) == 4 and args[2].lower() == "to":
        alias = args[3]
    else:
        raise ModelCommandError("Say which model and version, and optionally the alias: "
                                "`/model deploy churn 3 to production`.")
    filed = ctx.services.models.request_deployment(requester=ctx.user_id, name=args[0], version=args[1], alias=alias)
    route_new(ctx.services, ctx.after_ack, filed)
    return approval_views.filed_message(filed)


def rollback(ctx: CommandContext) -> Reply:
    """File a rollback request: the alias goes back to the version it replaced."""
    name, *alias = _one_name(ctx, extra=1)
    filed = ctx.services.models.request_rollback(
        requester=ctx.user_id, name=name, alias=check_alias(alias[0]) if alias else "production"
    )
    route_new(ctx.services, ctx.after_ack, filed)
    return approval_views.filed_message(filed)


ROUTES: Routes = {
    ("/model", "list"): _guarded(list_models),
    ("/model", "status"): _guarded(status),
    ("/model", "history"): _guarded(history),
    ("/model", "watch"): _guarded(watch),
    ("/model", "unwatch"): _guarded(unwatch),
    ("/model", "deploy"): _guarded(deploy),
    ("/model", "rollback"): _guarded(rollback),
}


def register(app: Listeners, services: Services, after_ack: AfterAckPool) -> None:
    def next_page(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack_then(ack, respond, after_ack, _page, body, respond)

    def _page(body: dict[str, Any], respond: Respond) -> None:
        try:
            value = json.loads(action_value(body))
            name_filter, token = value["f"], value["t"]
            if not (isinstance(name_filter, str) and isinstance(token, str)):
                raise TypeError("not a page of /model list")
            reply = views.model_list(services.models.list_models(name_filter=name_filter, page_token=token),
                                     name_filter=name_filter)
        except MlflowError as exc:
            reply = views.mlflow_problem(exc)
        except (KeyError, ValueError, TypeError):
            reply = error_message("That button is out of date. Run `/model list` again.")
        respond(replace_original=True, response_type="ephemeral", **reply)

    app.action(views.MODEL_LIST_PAGE_ACTION)(next_page)
