"""Block Kit and Slack markup as the sandbox prints them."""

from __future__ import annotations

import pytest

from bot.sandbox.modal import AnswerRefused, Modal
from bot.sandbox.render import Renderer, Surface, mrkdwn

NAMES = {"U0ALICE": "alice", "C0ML": "ml"}.get


def test_slack_markup_reads_as_plain_text() -> None:
    text = ("*Approved* by <@U0ALICE> in <#C0ML> and <#C0X|ops> :warning: :unknown_emoji: "
            "<!date^1700000000^{date}|Nov 14> <https://x.io|docs> <!here> _soon_ ~old~ a &amp; b")
    assert mrkdwn(text, lambda i: NAMES(i) or i) == (
        "Approved by @alice in #ml and #ops ⚠ :unknown_emoji: Nov 14 docs (https://x.io) @here soon old a & b"
    )


def test_snake_case_and_multiplication_stay_as_typed() -> None:
    assert mrkdwn("run_round_now 2 * 3 * 4") == "run_round_now 2 * 3 * 4"


def test_blocks_render_with_buttons_and_menus_numbered_accessories_included() -> None:
    renderer = Renderer()
    payload = {"blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Guilds"}},
        {"type": "section", "block_id": "g1", "text": {"type": "mrkdwn", "text": "*MLOps*"},
         "fields": [{"type": "mrkdwn", "text": "*Members*\n3"}],
         "accessory": {"type": "button", "action_id": "join", "value": "mlops",
                       "text": {"type": "plain_text", "text": "Join"}}},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "page 1"}]},
        {"type": "actions", "block_id": "a", "elements": [
            {"type": "static_select", "action_id": "pick", "placeholder": {"type": "plain_text", "text": "Guild"},
             "options": []},
            {"type": "button", "action_id": "more", "text": {"type": "plain_text", "text": "More"}}]},
    ]}
    shown = renderer.payload(payload, Surface("message", channel="C0ML"))
    assert shown == "GUILDS\nMLOps\n  Members: 3\n  [1 Join]\n" + "─" * 40 + "\npage 1\n[2 Guild ▾]  [3 More]"
    assert [(c.element["action_id"], c.block_id) for c in renderer.controls] == [("join", "g1"), ("pick", "a"),
                                                                                  ("more", "a")]


def test_a_message_without_blocks_shows_its_text() -> None:
    assert Renderer().payload({"text": "hi <@U0ALICE>"}, Surface("message")) == "hi @U0ALICE"


def test_a_modal_asks_each_input_and_builds_slacks_state() -> None:
    options = [{"text": {"type": "plain_text", "text": "Production"}, "value": "production"},
               {"text": {"type": "plain_text", "text": "Staging"}, "value": "staging"}]
    view = {"id": "V1", "title": {"type": "plain_text", "text": "Deploy"}, "blocks": [
        {"type": "input", "block_id": "alias", "label": {"type": "plain_text", "text": "Alias"},
         "element": {"type": "static_select", "action_id": "a", "options": options}},
        {"type": "input", "block_id": "who", "label": {"type": "plain_text", "text": "Reviewer"}, "optional": True,
         "element": {"type": "users_select", "action_id": "u"}},
        {"type": "input", "block_id": "note", "label": {"type": "plain_text", "text": "Note"},
         "element": {"type": "plain_text_input", "action_id": "n", "initial_value": "ship it"}},
    ]}
    modal = Modal(view, user_of={"@alice": "U0ALICE"}.get, channel_of=lambda _: None)
    assert modal.question() == "? Alias  1) Production  2) Staging"
    with pytest.raises(AnswerRefused, match="a number from 1 to 2"):
        modal.answer("7")
    modal.answer("staging")
    assert modal.question() == "? Reviewer (optional, Enter to skip)"
    modal.answer("@alice")
    assert modal.question() == "? Note  (Enter keeps: ship it)"
    modal.answer("")
    assert not modal.pending
    assert modal.values == {
        "alias": {"a": {"type": "static_select", "selected_option": options[1]}},
        "who": {"u": {"type": "users_select", "selected_user": "U0ALICE"}},
        "note": {"n": {"type": "plain_text_input", "value": "ship it"}},
    }
