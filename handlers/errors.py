"""When a listener fails anyway: log it once with a reference, answer the person, never a 5xx.

Listeners read payloads defensively (:mod:`handlers.parsing`), but a bug or a payload shape
nobody foresaw can still raise.  Left to Bolt, an exception before ``ack()`` is an HTTP 500,
and one after ``ack()`` resets the acknowledgement, so Bolt holds the request for 3 seconds
and answers 404.  Every listener is therefore registered through :class:`Listeners`, which
runs it under :func:`shielded`: the exception is logged with its traceback and a short
reference, the request is acknowledged if it was not, and the person is told, with the
reference, whenever the payload says where to answer.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.kwargs_injection import Args
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.parsing import cleaned, plausible, user_of

log = logging.getLogger(__name__)

Listener = Callable[..., Any]


def failure_text(ref: str) -> str:
    return (f":warning: I could not finish this (ref `{ref}`): the error is logged for the admins. "
            "Please try again in a minute, and give an admin the ref if it happens again.")


def report(what: str) -> str:
    """Log the exception being handled, with its traceback, under a fresh reference."""
    ref = uuid.uuid4().hex[:8]
    log.exception("%s failed (ref %s)", what, ref)
    return ref


def shielded(listener: Listener) -> Callable[[Args], None]:
    """``listener`` run with the arguments it names; if it raises, :func:`report` and answer."""
    names = inspect.getfullargspec(listener).args

    def run(args: Args) -> None:
        try:
            listener(**{name: _argument(args, name) for name in names})
        except Exception:
            kind = args.body.get("command") or args.body.get("type") or "a request"
            tell_failure(args, report(f"{listener.__name__} on {kind}"))

    run.__name__ = listener.__name__
    return run


def _argument(args: Args, name: str) -> Any:
    """What Bolt gives a listener, except that ``respond`` always works: a click without a
    response URL (Home, a modal, a crafted payload) is answered by DM."""
    if name == "respond" and not args.context.response_url:
        return direct_message(args.client, user_of(args.body))
    return getattr(args, name)


def direct_message(client: WebClient, user_id: str) -> Callable[..., None]:
    """A ``respond`` that sends the message to ``user_id`` by DM (a warning if it cannot)."""

    def send(text: str = "", blocks: list[Any] | None = None, **_: Any) -> None:
        try:
            client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
        except SlackApiError as exc:
            log.warning("could not answer %s by DM: %s", user_id or "nobody", exc.response.get("error"))

    return send


def tell_failure(args: Args, ref: str) -> None:
    """Acknowledge if that is still to do (a slash command's answer can go in it), else answer
    through the response URL or by DM; a failure to tell is only a warning."""
    text = failure_text(ref)
    try:
        if args.ack.response is None:
            if args.body.get("command"):
                args.ack(response_type="ephemeral", text=text)
                return
            args.ack()
        _argument(args, "respond")(text=text, response_type="ephemeral", replace_original=False)
    except Exception as exc:  # Slack unreachable or the payload unusable: the log has it all
        log.warning("could not tell the person about ref %s: %s", ref, exc)


class Listeners:
    """Registers listeners on the Bolt app, each :func:`shielded`: what the capabilities'
    ``register`` functions are given instead of the app itself."""

    def __init__(self, app: App) -> None:
        self.app = app

    def command(self, command: str) -> Callable[[Listener], Listener]:
        return self._through(self.app.command(command))

    def action(self, constraints: Any) -> Callable[[Listener], Listener]:
        return self._through(self.app.action(constraints))

    def view(self, constraints: Any) -> Callable[[Listener], Listener]:
        return self._through(self.app.view(constraints))

    def event(self, event: Any) -> Callable[[Listener], Listener]:
        return self._through(self.app.event(event))

    @staticmethod
    def _through(register: Callable[[Listener], Any]) -> Callable[[Listener], Listener]:
        def decorate(listener: Listener) -> Listener:
            register(shielded(listener))
            return listener

        return decorate


def register(app: App) -> None:
    app.error(_log_error)
    app.middleware(_clean_text)


def _log_error(error: Exception, body: dict[str, Any]) -> None:
    """What fails in Bolt itself, outside any listener."""
    kind = body.get("command") or body.get("type") or (body.get("event") or {}).get("type")
    log.error("listener failed on %s: %s", kind, error, exc_info=error)


def _clean_text(body: dict[str, Any], next_: Callable[[], Any]) -> Any:
    """Control characters out of every text a payload carries, before any listener reads it
    (PostgreSQL refuses NUL; nothing shown to people needs them); a payload whose ids Slack
    could not have sent (or nested past reason) is refused with a 400."""
    try:
        readable = plausible(cleaned(body))
    except RecursionError:
        readable = False
    if not readable:
        log.warning("refused a request of a shape Slack never sends (type %s)", str(body.get("type"))[:40])
        return BoltResponse(status=400, body="")
    return next_()
