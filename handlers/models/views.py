"""Block Kit for ``/model``: lists, status, history, deployment outcomes and MLflow events."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, DividerBlock, HeaderBlock

from bot.models.deployments import Outcome
from bot.models.gateway import MlflowError, ModelPage, NotFound
from bot.models.registry import DeploymentRecord, StatusReport
from bot.text import plural
from handlers.blocks import Message, context, error_message, message, section, when
from handlers.parsing import escape, quoted, shorten
from bot.models.webhooks import MlflowEvent

MODEL_LIST_PAGE_ACTION = "model_list_page"


def _aliases(aliases: dict[str, str]) -> str:
    return ", ".join(f"`{a}` → v{v}" for a, v in sorted(aliases.items())) or "no aliases"


def model_list(page: ModelPage, *, name_filter: str) -> Message:
    hint = f" matching `{quoted(name_filter)}`" if name_filter else ""
    if not page.models:
        return message(f"No registered models{hint}.", [section(f"No registered models{hint}.")])
    blocks: list[Block] = [section(f"*Registered models*{hint}")]
    for m in page.models:
        latest = f"latest v{m.latest_version}" if m.latest_version else "no versions"
        blocks.append(section(f"*{escape(m.name)}* — {latest}; {_aliases(m.aliases)}"))
    if page.next_token:
        value = json.dumps({"f": name_filter, "t": page.next_token})
        blocks.append(ActionsBlock(elements=[ButtonElement(text="Next page", action_id=MODEL_LIST_PAGE_ACTION, value=value)]))
    blocks.append(context("`/model status <name>` for versions, metrics and the last deployment."))
    return message(plural(len(page.models), "registered model"), blocks)


def status(report: StatusReport) -> Message:
    m, v = report.model, report.selected
    blocks: list[Block] = [
        HeaderBlock(text=m.name[:150]),
        section(f"*Aliases:* {_aliases(m.aliases)}\n*Latest version:* {m.latest_version or '—'}"
                + (f"\n{escape(shorten(m.description, 2000))}" if m.description else "")),
    ]
    created = when(v.created_at)
    metrics = ", ".join(f"{k} {val:.4g}" for k, val in v.metrics.items()) or "no metrics logged"
    tags = ", ".join(f"{k}={val}" for k, val in sorted(v.tags.items()) if not k.startswith("factorybot.")) or "none"
    blocks.append(section(
        f"*Version {v.version}* ({v.status}, created {created})"
        + (f" — aliases {', '.join(f'`{a}`' for a in v.aliases)}" if v.aliases else "")
        + f"\n*Metrics:* {metrics}\n*Tags:* {tags}"
        + (f"\n*Run:* `{v.run_id}`" if v.run_id else "")
    ))
    others = [f"v{x.version}{' (' + ', '.join(x.aliases) + ')' if x.aliases else ''} {x.status}" for x in report.versions]
    if others:
        blocks.append(context("Latest versions: " + " · ".join(others)))
    if report.last_deployment:
        blocks.append(DividerBlock())
        blocks.append(section("*Last deployment through factorybot*\n" + _record_line(report.last_deployment)))
    return message(f"{m.name}: {_aliases(m.aliases)}", blocks)


def _record_line(r: DeploymentRecord) -> str:
    approvers = ", ".join(f"<@{a}>" for a in r.approved_by) or "the policy"
    verb = "rollback of" if r.kind == "rollback" else "moved"
    before = f" (from v{r.previous_version})" if r.previous_version else ""
    state = "" if r.status == "done" else f" — *{r.status}*{': ' + r.last_error if r.last_error else ''}"
    ref = f" [{r.request_ref}]" if r.request_ref else ""
    return f"{when(r.at)}: {verb} `{r.alias}` → v{r.version}{before}, requested by <@{r.requested_by}>, approved by {approvers}{ref}{state}"


def history(name: str, records: list[DeploymentRecord]) -> Message:
    if not records:
        text = f"No deployments of `{name}` through factorybot yet."
        return message(text, [section(text)])
    lines = "\n".join(f"• {_record_line(r)}" for r in records)
    return message(f"Deployments of {name}", [section(f"*Deployments of `{name}`*"), section(lines[:2900])])


def outcome(result: Outcome) -> Message:
    icon = {"done": ":white_check_mark:", "already": ":white_check_mark:", "pending": ":hourglass:",
            "failed": ":x:", "busy": ":hourglass:"}[result.status]
    ref = f" ({result.request_ref})" if result.request_ref else ""
    return message(result.message, [section(f"{icon} {result.message}{ref}")])


def mlflow_event(event: MlflowEvent) -> Message:
    if event.kind == "model_version.created":
        text = f":package: New version {event.version} of `{event.model}` registered in MLflow."
    else:
        text = f":label: `{event.model}`: alias `{event.alias}` now points to version {event.version}."
    return message(text, [section(text)])


def mlflow_problem(exc: MlflowError) -> Message:
    if isinstance(exc, NotFound) and exc.suggestions:
        shown = ", ".join(f"`{s}`" for s in exc.suggestions)
        return error_message(f"{exc} Did you mean {shown}?")
    return error_message(str(exc) if not str(exc).startswith("MLflow did not answer")
                         else "MLflow is not answering right now. Please try again in a few minutes.")


def watch_result(name: str, channel_id: str, changed: bool, *, watching: bool) -> Message:
    name = quoted(name, limit=255)
    if watching:
        text = (f"<#{channel_id}> now gets `{name}`'s new versions, alias moves and deployments."
                if changed else f"<#{channel_id}> already watches `{name}`.")
    else:
        text = f"<#{channel_id}> no longer watches `{name}`." if changed else f"<#{channel_id}> was not watching `{name}`."
    return message(text, [section(text)])
