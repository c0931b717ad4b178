"""manifest.yml and the code must agree: commands, events, interactivity and scopes."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

import handlers
from handlers.command_specs import COMMANDS
from bot.runtime.bootstrap import bootstrap
from bot.runtime.settings import load_settings
from storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())

# The bot scopes each Web API method the code calls needs (today's names).  A method
# the code calls that is missing here fails the test, so adding a call forces a choice.
METHOD_SCOPES: dict[str, set[str]] = {
    "auth.test": set(),
    "views.publish": set(),
    "views.open": set(),
    "views.update": set(),
    "views.push": set(),
    "chat.postMessage": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.update": {"chat:write"},
    "users.info": {"users:read"},
    "conversations.open": {"im:write", "mpim:write"},
    "conversations.info": {"channels:read", "groups:read"},
    "conversations.members": {"channels:read", "groups:read"},
    "conversations.join": {"channels:join"},
    "conversations.invite": {"channels:manage", "groups:write"},
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
}
# slack-sdk helpers that call several methods.
CLIENT_HELPERS: dict[str, tuple[str, ...]] = {
    "files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal"),
}
EVENT_SCOPES: dict[str, set[str]] = {
    "app_home_opened": set(),
    "member_joined_channel": {"channels:read", "groups:read"},
    "member_left_channel": {"channels:read", "groups:read"},
}


class RecordingApp:
    """Stands where a Bolt ``App`` stands in ``register_all`` and writes down what is registered."""

    def __init__(self) -> None:
        self.registered: dict[str, list[Any]] = defaultdict(list)

    def __getattr__(self, kind: str):  # command, event, action, view, shortcut, options, error…
        def register(*args: Any, **kwargs: Any):
            if kind == "error":
                self.registered[kind].append(args[0])
                return args[0]
            self.registered[kind].append(args[0] if args else kwargs)
            return lambda fn=None, *more, **kw: fn

        return register


@pytest.fixture(scope="module")
def registered() -> dict[str, list[Any]]:
    recorder = RecordingApp()
    bot = bootstrap(load_settings(), db=Database("sqlite://"))
    handlers.register_all(recorder, bot.services, bot.after_ack)
    return recorder.registered


def _code_files() -> list[Path]:
    return [p for d in ("bot", "handlers", "jobs") for p in (ROOT / d).rglob("*.py") if "sandbox" not in p.parts]


def _methods_called() -> set[str]:
    by_client_name = {m.replace(".", "_"): m for m in METHOD_SCOPES}
    pattern = re.compile(r"\.([a-z]+_[A-Za-z0-9_]+)\(")
    called = set()
    for path in _code_files():
        for name in pattern.findall(path.read_text()):
            if name in by_client_name:
                called.add(by_client_name[name])
            elif name in CLIENT_HELPERS:
                called.update(CLIENT_HELPERS[name])
            elif re.match(r"^(chat|conversations|views|users|usergroups|reactions|files|team|apps)_", name):
                pytest.fail(f"{path.name} calls {name}: add its scopes to METHOD_SCOPES")
    if any("say(" in p.read_text() for p in _code_files()):
        called.add("chat.postMessage")
    return called


def test_every_command_registered_is_declared_and_the_reverse(registered: dict[str, list[Any]]) -> None:
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert set(registered["command"]) == declared == set(COMMANDS)


def test_usage_hints_and_descriptions_match_the_code() -> None:
    for entry in MANIFEST["features"]["slash_commands"]:
        spec = COMMANDS[entry["command"]]
        assert entry["usage_hint"] == spec.usage_hint
        assert entry["description"] == spec.description
        assert len(entry["description"]) <= 100 and len(entry["usage_hint"]) <= 1000


def test_every_event_registered_is_subscribed_and_the_reverse(registered: dict[str, list[Any]]) -> None:
    assert set(registered["event"]) == set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])


def test_interactivity_is_on_exactly_when_the_code_handles_it(registered: dict[str, list[Any]]) -> None:
    interactive = bool(registered["action"] or registered["view"] or registered["shortcut"] or registered["options"])
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True or not interactive


def test_bot_scopes_are_exactly_what_the_code_needs(registered: dict[str, list[Any]]) -> None:
    needed: set[str] = {"commands"} if registered["command"] else set()
    for method in _methods_called():
        needed |= METHOD_SCOPES[method]
    for event in registered["event"]:
        needed |= EVENT_SCOPES[event]
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed


def test_manifest_has_the_sections_slack_requires() -> None:
    assert MANIFEST["display_information"]["name"]
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["features"]["bot_user"]["display_name"]
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
    for entry in MANIFEST["features"]["slash_commands"]:
        assert entry["url"].endswith("/slack/events")
