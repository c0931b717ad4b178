"""Reading hostile input: clean text, one integer parser, quoting people's text back, payload shapes."""

from __future__ import annotations

import pytest

from handlers.blocks import TEXT_LIMIT, error_message, section
from handlers.command_specs import UsageError, parse_command
from handlers.parsing import MAX_ID, clean, cleaned, first_action, plausible, quoted, user_of, whole_number


@pytest.mark.parametrize(("text", "expected"), [
    ("42", 42), (" 7 ", 7), ("0", 0), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), ("²", None), ("٣", None),
    ("-1", None), ("1e3", None), ("", None), (None, None), ("9" * 5000, None), ("4 2", None), (42, 42),
])
def test_whole_number_is_ascii_digits_that_fit_a_database_id(text: object, expected: int | None) -> None:
    assert whole_number(text) == expected


def test_whole_number_keeps_to_its_bounds() -> None:
    assert whole_number("0", low=1) is None and whole_number("5", high=4) is None and whole_number("4", high=4) == 4


def test_clean_drops_control_characters_and_lone_surrogates_but_keeps_lines() -> None:
    assert clean("a\x00b\x1b[31m\x7f\x85c\ud800\nd\te") == "ab[31mc\nd\te"
    payload = {"a": ["x\x00", {"b": "y\x00"}], "n": 3}
    assert cleaned(payload) == {"a": ["x", {"b": "y"}], "n": 3}


def test_quoted_escapes_cuts_and_closes_code_spans() -> None:
    assert quoted("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert quoted("x" * 500) == "x" * 79 + "…"
    assert quoted("a`b", limit=10) == "a'b"


def test_a_section_never_passes_the_block_kit_limit() -> None:
    assert len(section("y" * 10_000).to_dict()["text"]["text"]) == TEXT_LIMIT
    assert error_message("z" * 10_000)["blocks"][0]["text"]["text"].endswith("…")


def test_parse_command_drops_nul_and_quotes_an_unknown_word_short() -> None:
    assert parse_command("/guild", "info a\x00b").args == ("ab",)
    with pytest.raises(UsageError) as refused:
        parse_command("/factory", "<!here>" + "w" * 3000)
    assert "&lt;!here&gt;" in str(refused.value) and len(str(refused.value)) < 200


def test_payload_shapes_slack_would_not_send_are_told_apart() -> None:
    click = {"type": "block_actions", "user": {"id": "U0ADA"}, "actions": [{"action_id": "a", "value": "1"}]}
    assert plausible(click) and first_action(click)["value"] == "1" and user_of(click) == "U0ADA"
    for actions in ([], [None], [{}], "x", None):
        assert not plausible({**click, "actions": actions})
    assert not plausible({**click, "user": {"id": "U" * 40}})
    assert not plausible({"command": "/guild", "user_id": "u0 lower", "channel_id": "C1"})
    assert not plausible({"type": "event_callback", "event_id": "E" * 100, "event": {"type": "x"}})
    assert plausible({"type": "event_callback", "event_id": "Ev1", "event": {"type": "x", "user": {"id": "U1"}}})
    assert user_of({"user": {"id": ["U1"]}}) == ""
