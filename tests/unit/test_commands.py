import pytest

from handlers.command_specs import COMMANDS, UsageError, parse_command


def test_empty_text_means_help() -> None:
    parsed = parse_command("/guild", "   ")
    assert parsed.sub.name == "help" and parsed.args == ()


def test_subcommand_and_quoted_arguments() -> None:
    parsed = parse_command("/guild", 'create llm-apps #llm “LLM apps” "Build with LLMs"')
    assert parsed.sub.name == "create"
    assert parsed.args == ("llm-apps", "#llm", "LLM apps", "Build with LLMs")


def test_subcommand_is_case_insensitive() -> None:
    assert parse_command("/factory", "HELP").sub.name == "help"


@pytest.mark.parametrize(
    ("command", "text", "message"),
    [
        ("/guild", "dance", "`/guild dance` is not something I know."),
        ("/guild", "jion", "`/guild jion` is not something I know. Did you mean `/guild join`?"),
        ("/guild", 'create x "unclosed', "A quote is not closed."),
        ("/nope", "help", "`/nope` is not a factorybot command."),
    ],
)
def test_bad_text_raises_a_usage_error(command: str, text: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_command(command, text)
    assert str(raised.value) == message


def test_every_command_answers_help() -> None:
    for name in COMMANDS:
        assert parse_command(name, "help").sub.available


def test_subcommands_marked_available_are_exactly_the_routed_ones() -> None:
    from handlers import ROUTES

    available = {(c, s.name) for c, spec in COMMANDS.items() for s in spec.subcommands if s.available}
    assert available == set(ROUTES)
