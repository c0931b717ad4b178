"""One person at the sandbox's prompt: who they are, what reaches them, what they press.

Each line is sent as Slack would send it — a signed slash command, an App Home event, a
``block_actions`` for ``click N``, a ``view_submission`` once a modal's questions are
answered — and every message, App Home or modal the bot sends in return is routed to the
people it reaches: shown now to the current person, kept in the others' inboxes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox.modal import AnswerRefused, Modal
from bot.sandbox.render import Renderer, Surface, plain
from bot.sandbox.slack_standin import Call, SlackStandIn
from bot.sandbox.signing import SlackRequestBuilder
from bot.text import plural

HELP = """Type a slash command (/factory help, /guild list, /model list…) or:
  who            everyone in the workspace        /as @name   act as someone else
  inbox          what reached you while away      home        open your App Home
  click N [opt]  press button or menu N           calls       every Web API call so far
  cancel         close the open modal             quit"""
PLUMBING = {"users.info", "conversations.info", "conversations.join", "conversations.invite", "conversations.members",
            "conversations.open", "auth.test", "files.getUploadURLExternal", "file_upload"}
_MENTION = re.compile(r"(?<![<\w])([@#])([a-z0-9][a-z0-9._-]*)")


@dataclass(frozen=True)
class Delivery:
    """Something the bot sent that a person sees: a heading and the payload to render."""

    heading: str
    payload: dict[str, Any]
    surface: Surface


class Session:
    def __init__(self, builder: SlackRequestBuilder, slack: SlackStandIn, *, drain: Callable[[], object],
                 people: dict[str, str], channels: dict[str, str], me: str, where: str,
                 about: dict[str, str] | None = None) -> None:
        self.builder, self.slack, self.drain = builder, slack, drain
        self.people, self.channels = people, channels  # name → ID
        self.about = about or {}  # ID → who they are, for `who`
        self.names = {uid: name for name, uid in people.items()}
        self.me, self.where = me, where
        self.renderer = Renderer(self.name_of)
        self.inbox: dict[str, list[Delivery]] = defaultdict(list)
        self.modal: Modal | None = None
        self._last_view = ""  # the modal shown last: a views.update of it is shown too
        self._dms: dict[str, list[str]] = {}  # DM or group DM channel → its people

    # -- naming -------------------------------------------------------------------
    def name_of(self, some_id: str) -> str:
        """A person's or a channel's name, from its ID."""
        return self.names.get(some_id) or self._channel_name(some_id)

    def user_of(self, text: str) -> str | None:
        text = text.strip().lstrip("@")
        return self.people.get(text.lower()) or (text if text in self.names else None)

    def channel_of(self, text: str) -> str | None:
        return self.channels.get(text.strip().lstrip("#").lower())

    def slack_text(self, text: str) -> str:
        """``@maria`` and ``#mlops`` as Slack's client sends them in a command."""
        def escape(match: re.Match[str]) -> str:
            sign, name = match.groups()
            if sign == "@" and name in self.people:
                return f"<@{self.people[name]}>"
            if sign == "#" and name in self.channels:
                return f"<#{self.channels[name]}|{name}>"
            return match.group(0)

        return _MENTION.sub(escape, text)

    @property
    def prompt(self) -> str:
        return f"{self.modal.title} > " if self.modal else f"{self.name_of(self.me)}> "

    # -- one line -----------------------------------------------------------------
    def handle(self, line: str) -> str:
        """Everything the line caused, as text; a bad line says what would work."""
        line = line.strip()
        if self.modal is not None:
            return self._modal_line(line)
        if not line:
            return ""
        word, _, rest = line.partition(" ")
        simple = {"help": lambda: HELP, "who": self.who, "inbox": self.show_inbox, "calls": self.calls,
                  "home": self.home, "/as": lambda: self.act_as(rest), "click": lambda: self.click(rest),
                  "cancel": lambda: "No modal is open."}
        if word in simple:
            return simple[word]()
        if word.startswith("/"):
            return self.command(word, self.slack_text(rest))
        return f"Not a command: {line!r}. Type `help` for what the sandbox understands."

    def who(self) -> str:
        rows = [f"{'→' if uid == self.me else ' '} @{name:<8} {self.about.get(uid, uid)}"
                for name, uid in self.people.items()]
        return "\n".join(rows)

    def act_as(self, text: str) -> str:
        user = self.user_of(text)
        if user is None:
            return f"I don't know {text or 'that person'}: `who` lists everyone."
        self.me = user
        waiting = len(self.inbox.get(user, []))
        missed = f" {plural(waiting, 'message')} waiting: type `inbox`." if waiting else ""
        return f"You are now @{self.name_of(user)} ({user}).{missed}"

    def show_inbox(self) -> str:
        items = self.inbox.pop(self.me, [])
        if not items:
            return "Nothing new for you."
        self.renderer.controls = []
        return "\n".join(self._render(item) for item in items)

    def calls(self) -> str:
        return "\n".join(f"{c.method} ok={c.ok}" for c in self.slack.calls()) or "(no Web API calls yet)"

    def home(self) -> str:
        return self._exchange(lambda: self.builder.event(
            {"type": "app_home_opened", "user": self.me, "tab": "home", "channel": "D0HOME"}))

    def command(self, command: str, text: str) -> str:
        return self._exchange(lambda: self.builder.slash_command(
            command, text, user_id=self.me, user_name=self.name_of(self.me), channel_id=self.where))

    def click(self, text: str) -> str:
        number, _, choice = text.strip().partition(" ")
        controls = self.renderer.controls
        if not number.isdigit() or not 1 <= int(number) <= len(controls):
            hint = f"pick one from 1 to {len(controls)}" if controls else "what is on screen has none"
            return f"There is no button {number or '(none given)'}: {hint}."
        control = controls[int(number) - 1]
        try:
            fields = _action_fields(control.element, choice)
        except AnswerRefused as exc:
            return str(exc)
        surface = control.surface
        where = {"view": {**surface.view}} if surface.kind in ("home", "modal") else \
            {"channel_id": surface.channel or self.where, "message": surface.message or None}
        return self._exchange(lambda: self.builder.block_actions(
            action_id=control.element["action_id"], value=control.element.get("value"), user_id=self.me,
            block_id=control.block_id, action_type=control.element["type"], action_fields=fields, **where))

    # -- modals -------------------------------------------------------------------
    def _modal_line(self, line: str) -> str:
        assert self.modal is not None
        if line == "cancel":
            self.modal = None
            return "Modal closed without submitting."
        try:
            dispatched = self.modal.answer(line)
        except AnswerRefused as exc:
            return f"{exc}\n{self.modal.question()}"
        if dispatched:
            return self._dispatch(self.modal, **dispatched)
        return self.modal.question() if self.modal.pending else self._submit()

    def _dispatch(self, modal: Modal, *, block_id: str, element: dict[str, Any], state: dict[str, Any]) -> str:
        """A changed input that dispatches its action, sent as Slack does: the bot may redraw the modal."""
        view = {**modal.view, "state": {"values": modal.values}}
        fields = {k: v for k, v in state.items() if k != "type"}
        shown = self._exchange(lambda: self.builder.block_actions(
            action_id=element["action_id"], user_id=self.me, block_id=block_id, action_type=element["type"],
            action_fields=fields, view=view))
        if self.modal is modal and not modal.pending:  # not redrawn: the form is complete
            return "\n".join(s for s in (shown, self._submit()) if s)
        return shown or (self.modal.question() if self.modal else "")

    def _submit(self) -> str:
        modal, view = self.modal, self.modal.view
        reply: dict[str, Any] = {}

        def send() -> Any:
            response = self.builder.view_submission(
                callback_id=view.get("callback_id", ""), values=modal.values, user_id=self.me,
                private_metadata=view.get("private_metadata", ""), view_id=view["id"], blocks=view.get("blocks"))
            reply.update(response.json() if response.content else {})
            return response

        self.modal = None
        shown = self._exchange(send)
        if reply.get("response_action") == "errors":
            self.modal = modal
            modal.ask_again(set(reply["errors"]))
            errors = "\n".join(f"⚠ {plain(reply['errors'][b])}" for b in reply["errors"])
            return "\n".join(s for s in (shown, errors, modal.question()) if s)
        if reply.get("response_action") in ("update", "push"):
            notice = self._open_modal({**reply["view"], "id": view["id"]})
            return "\n".join(s for s in (shown, self._render_modal(), notice) if s)
        return shown or "Submitted; the modal closed."

    def _open_modal(self, view: dict[str, Any]) -> str:
        """Open a view with questions at the prompt; one without (a notice) is just shown."""
        self._last_view = view["id"]
        self.modal = Modal(view, user_of=self.user_of, channel_of=self.channel_of)
        if self.modal.pending:
            return ""
        self.modal = None
        body = self.renderer.payload(view, Surface("modal", view=view))
        return f"┌ modal: {plain(view.get('title') or {})}\n{body}"

    def _render_modal(self) -> str:
        if self.modal is None:
            return ""
        body = self.renderer.payload(self.modal.view, Surface("modal", view=self.modal.view))
        return f"┌ modal: {self.modal.title}\n{body}\n{self.modal.question()}"

    # -- what came back -----------------------------------------------------------
    def _exchange(self, send: Callable[[], Any]) -> str:
        """Send, wait for the work after the ack, and render what reached whom."""
        before = len(self.slack.calls())
        response = send()
        if response.status_code != 200:
            return f"(HTTP {response.status_code}) {response.text}"
        self.drain()
        direct = response.json() if response.content and "json" in response.headers.get("content-type", "") else {}
        deliveries = [(self.me, Delivery("", direct, Surface("ephemeral", channel=self.where)))] \
            if direct.get("text") or direct.get("blocks") else []
        for call in self.slack.calls()[before:]:
            deliveries += self._route(call)
        return self._show(_last_versions(deliveries))

    def _show(self, deliveries: list[tuple[str, Delivery]]) -> str:
        """Render what reached the current person (numbering its controls afresh); keep the rest."""
        mine: list[Delivery] = []
        others: dict[str, int] = defaultdict(int)
        for who, delivery in deliveries:
            if who == self.me:
                mine.append(delivery)
            else:
                self.inbox[who].append(delivery)
                others[who] += 1
        if mine:
            self.renderer.controls = []
        lines = [d.heading if d.surface.kind == "modal" else self._render(d) for d in mine]
        lines += [self._render_modal()] if self.modal else []
        lines += [f"  (→ @{self.name_of(u)}: {plural(n, 'new message')}; `/as @{self.name_of(u)}` then `inbox`)"
                  for u, n in others.items()]
        return "\n".join(line for line in lines if line)

    def _render(self, delivery: Delivery) -> str:
        body = self.renderer.payload(delivery.payload, delivery.surface)
        return f"{delivery.heading}\n{body}" if delivery.heading else body

    def _route(self, call: Call) -> list[tuple[str, Delivery]]:
        """Who sees what one Web API call made: a DM, a channel post, an App Home, a modal."""
        params, method = call.params, call.method
        if not call.ok or method in PLUMBING:
            if method == "conversations.open" and call.ok:
                users = [u for u in str(params.get("users", "")).split(",") if u]
                self._dms[call.result["channel"]["id"]] = users
            return []
        if method == "response_url":
            return [(self.me, Delivery("", params, Surface("ephemeral", channel=self.where)))]
        if method == "chat.postEphemeral":
            return [(params["user"], Delivery(f"[only you, in #{self._channel_name(params['channel'])}]", params,
                                              Surface("ephemeral", channel=params["channel"])))]
        if method in ("chat.postMessage", "chat.update"):
            return self._message(call)
        if method == "views.publish":
            view = {**params["view"], "id": call.result["view"]["id"]}
            return [(params["user_id"], Delivery("[App Home]", view, Surface("home", view=view)))]
        opened = method in ("views.open", "views.push")
        if opened or (method == "views.update" and call.result["view"]["id"] == self._last_view):
            notice = self._open_modal(call.result["view"])
            return [(self.me, Delivery(notice, {}, Surface("modal")))] if notice else []
        return []

    def _message(self, call: Call) -> list[tuple[str, Delivery]]:
        params, channel = call.params, str(call.params["channel"])
        message = {**params, "ts": call.result.get("ts", ""), "type": "message"}
        updated = " (updated)" if call.method == "chat.update" else ""
        people = self._dms.get(channel) or ([channel] if channel.startswith(("U", "W")) else [])
        if people:
            surface = Surface("message", channel=channel, message=message)
            heading = f"[DM from factorybot{updated}]" if len(people) == 1 else \
                f"[group DM with {', '.join('@' + self.name_of(p) for p in people)}{updated}]"
            return [(p, Delivery(heading, params, surface)) for p in people]
        channel_id = call.result.get("channel", channel)
        surface = Surface("message", channel=channel_id, message=message)
        heading = f"[#{self._channel_name(channel_id)}{updated}]"
        try:
            members = self.slack.members(channel_id)
        except KeyError:
            members = []
        return [(m, Delivery(heading, params, surface)) for m in members if m in self.names]

    def _channel_name(self, channel_id: str) -> str:
        return next((name for name, cid in self.channels.items() if cid == channel_id), channel_id)


def _action_fields(element: dict[str, Any], choice: str) -> dict[str, Any]:
    """What a menu adds to the action: the chosen option (by number or by its words)."""
    if element["type"] == "button":
        return {"text": element.get("text", {})}
    options = element.get("options") or [o for g in element.get("option_groups", []) for o in g["options"]]
    if not choice:
        listed = "  ".join(f"{i}) {plain(o['text'])}" for i, o in enumerate(options, 1))
        raise AnswerRefused(f"Pick one: `click N CHOICE` with {listed or 'a value'}.")
    if choice.isdigit() and 1 <= int(choice) <= len(options):
        return {"selected_option": options[int(choice) - 1]}
    for option in options:
        if choice.lower() in (plain(option["text"]).lower(), str(option.get("value", "")).lower()):
            return {"selected_option": option}
    raise AnswerRefused(f"“{choice}” is not one of the choices: pick a number from 1 to {len(options)}.")


def _last_versions(deliveries: list[tuple[str, Delivery]]) -> list[tuple[str, Delivery]]:
    """A message updated twice during one line is shown once, as it ended up."""
    def key(item: tuple[str, Delivery]) -> tuple[str, str, str] | None:
        who, delivery = item
        ts = delivery.surface.message.get("ts")
        return (who, delivery.surface.channel, ts) if ts and "(updated)" in delivery.heading else None

    last = {key(item): i for i, item in enumerate(deliveries) if key(item)}
    return [item for i, item in enumerate(deliveries) if key(item) is None or last[key(item)] == i]
