"""``/model``: status from MLflow in chat, watches, and the list's paging button.

Every route here calls MLflow, so each is marked :func:`after_ack`: Slack gets its
acknowledgement at once and the answer follows through ``respond`` — a slow MLflow
never produces Slack's ``operation_timeout``.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.approvals import service as approvals
from bot.models import registry as model_registry
from bot.models.gateway import MlflowError
from bot.models.registry import ModelCommandError
from bot.approvals.policy import MODEL_ROLLBACK
from bot.services import Services
from handlers.blocks import error_message
from handlers.approvals import views as approval_views
from handlers.models import views as views
from handlers.approvals.listeners import route_in_background
from handlers.commands import CommandContext, Reply, SubHandler, after_ack


def _guarded(handler: SubHandler) -> SubHandler:
    """MLflow and input problems become a clear ephemeral message."""

    def run(ctx: CommandContext) -> Reply | None:
        try:
            return handler(ctx)
        except MlflowError as exc:
            return views.mlflow_problem(exc)
        except ModelCommandError as exc:
            return ctx.usage_error(str(exc))

    run.__name__ = handler.__name__
    return after_ack(run)


def _one_name(ctx: CommandContext, *, extra: int = 0) -> tuple[str, ...]:
    if not ctx.args or len(ctx.args) > 1 + extra:
        raise ModelCommandError(f"Usage: `/model {ctx.parsed.sub.usage}`")
    return ctx.args


def list_models(ctx: CommandContext) -> Reply:
    name_filter = " ".join(ctx.args)
    return views.model_list(model_registry.list_models(ctx.services.mlflow, name_filter=name_filter),
                            name_filter=name_filter)


def status(ctx: CommandContext) -> Reply:
    name, *version = _one_name(ctx, extra=1)
    if version and not version[0].isdigit():
        raise ModelCommandError(f"`{version[0]}` is not a version number.")
    report = model_registry.status(ctx.services.mlflow, ctx.services.db, name, version[0] if version else None)
    return views.status(report)


def history(ctx: CommandContext) -> Reply:
    (name,) = _one_name(ctx)
    canonical, records = model_registry.history(ctx.services.mlflow, ctx.services.db, name)
    return views.history(canonical, records)


def watch(ctx: CommandContext) -> Reply:
    (name,) = _one_name(ctx)
    canonical, added = model_registry.watch(
        ctx.services.mlflow, ctx.services.db, name=name, channel_id=ctx.channel_id, user_id=ctx.user_id
    )
    return views.watch_result(canonical, ctx.channel_id, added, watching=True)


def unwatch(ctx: CommandContext) -> Reply:
    (name,) = _one_name(ctx)
    removed = model_registry.unwatch(ctx.services.db, name=name, channel_id=ctx.channel_id, user_id=ctx.user_id)
    return views.watch_result(name, ctx.channel_id, removed, watching=False)


def rollback(ctx: CommandContext) -> Reply:
    """File a rollback request: the alias goes back to the version it replaced (the policy may
    approve it at once)."""
    name, *alias = _one_name(ctx, extra=1)
    alias_name = model_registry.check_alias(alias[0]) if alias else "production"
    model, _current, target = model_registry.rollback_target(ctx.services.mlflow, ctx.services.db, name, alias_name)
    try:
        filed = approvals.file_request(
            ctx.services, requester=ctx.user_id, type_id=MODEL_ROLLBACK, source="rollback",
            fields={"model": model, "alias": alias_name, "version": target}, answers={},
        )
    except approvals.ApprovalError as exc:
        return ctx.usage_error(str(exc))
    route_in_background(ctx.services, ctx.client, filed)
    return approval_views.filed_message(filed)


ROUTES: dict[tuple[str, str], SubHandler] = {
    ("/model", "rollback"): _guarded(rollback),
    ("/model", "list"): _guarded(list_models),
    ("/model", "status"): _guarded(status),
    ("/model", "history"): _guarded(history),
    ("/model", "watch"): _guarded(watch),
    ("/model", "unwatch"): _guarded(unwatch),
}


def register(app: App, services: Services) -> None:
    def next_page(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            value = json.loads(body["actions"][0]["value"])
            page = model_registry.list_models(services.mlflow, name_filter=value["f"], page_token=value["t"])
            reply = views.model_list(page, name_filter=value["f"])
        except MlflowError as exc:
            reply = views.mlflow_problem(exc)
        except (KeyError, ValueError, TypeError):
            reply = error_message("That button is out of date. Run `/model list` again.")
        respond(replace_original=True, response_type="ephemeral", **reply)

    app.action(views.MODEL_LIST_PAGE_ACTION)(next_page)
