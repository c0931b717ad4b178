"""``/factory digest preview [guild]`` (anyone, only to them) and ``/factory digest send
<guild|org|all>`` (admins: last week's digests posted now, or a link to the post if they were).

Both compute figures and may ask the language model, so they answer after the ack.
"""

from __future__ import annotations

from bot.digest.service import DigestError
from handlers.command_specs import UsageError
from handlers.digest import views
from handlers.slash import CommandContext, Reply, Routes, guarded

USAGE = "Usage: `/factory digest preview [guild]` or `/factory digest send <guild|org|all>`."


def digest(ctx: CommandContext) -> Reply:
    action, rest = (ctx.args[0].lower(), ctx.args[1:]) if ctx.args else ("", ())
    if action == "preview" and len(rest) <= 1:
        found, narrative = ctx.services.digest.preview(rest[0].lower() if rest else None)
        return views.digest_message(found, narrative)
    if action == "send" and len(rest) == 1:
        return views.sent_message(ctx.services.digest.send_now(rest[0].lower(), user_id=ctx.user_id))
    raise UsageError(USAGE)


ROUTES: Routes = {("/factory", "digest"): guarded(digest, DigestError, slow=True)}
