"""``/factory digest preview [guild]`` (anyone, only to them), ``/factory digest send
<guild|org|all>`` (admins: last week's digests posted now, or a link to the post if they were)
and ``/factory digest schedule <guild> <weekday> <HH:MM>|off`` (the guild's leads and admins).

Preview and send compute figures and may ask the language model, so all answer after the ack.
"""

from __future__ import annotations

from bot.digest.service import DigestError
from handlers.blocks import message, section
from handlers.command_specs import UsageError
from handlers.digest import views
from handlers.slash import CommandContext, Reply, Routes, guarded

USAGE = (
    "Usage: `/factory digest preview [guild]`, `/factory digest send <guild|org|all>` or "
    "`/factory digest schedule <guild> <weekday> <HH:MM>|off`."
)


def digest(ctx: CommandContext) -> Reply:
    action, rest = (ctx.args[0].lower(), ctx.args[1:]) if ctx.args else ("", ())
    if action == "preview" and len(rest) <= 1:
        found, narrative = ctx.services.digest.preview(rest[0].lower() if rest else None)
        return views.digest_message(found, narrative)
    if action == "send" and len(rest) == 1:
        return views.sent_message(ctx.services.digest.send_now(rest[0].lower(), user_id=ctx.user_id))
    if action == "schedule" and len(rest) >= 2:
        answer = ctx.services.digest.schedule(rest[0].lower(), rest[1:], user_id=ctx.user_id)
        return message(answer, [section(answer)])
    raise UsageError(USAGE)


ROUTES: Routes = {("/factory", "digest"): guarded(digest, DigestError, slow=True)}
