import pytest

from bot.guilds.names import did_you_mean, slug_problem, suggest

KNOWN = [("mlops", "MLOps"), ("llm-apps", "LLM apps"), ("data-quality", "Data quality"), ("ml", "Machine learning")]


@pytest.mark.parametrize("slug", ["mlops", "llm-apps", "a", "x" * 40, "gen-ai-2"])
def test_valid_slugs(slug: str) -> None:
    assert slug_problem(slug) is None


def test_a_slug_with_capitals_or_spaces_is_refused_with_a_suggestion() -> None:
    assert slug_problem("LLM Apps") == "`LLM Apps` is not a valid slug: use only a-z, 0-9 and -. Try `llm-apps`."


def test_a_slug_longer_than_40_characters_is_refused() -> None:
    assert "at most 40 characters" in (slug_problem("x" * 41) or "")


def test_an_empty_slug_is_refused() -> None:
    assert slug_problem("") is not None


def test_a_typo_suggests_the_closest_slug() -> None:
    assert suggest("mlopz", KNOWN)[0] == "mlops"


def test_names_are_matched_too_and_answer_with_the_slug() -> None:
    assert suggest("data qualty", KNOWN) == ["data-quality"]


def test_nothing_close_suggests_nothing() -> None:
    assert suggest("finance", KNOWN) == []


def test_did_you_mean_reads_naturally() -> None:
    assert did_you_mean("mlopz", [("mlops", "MLOps")]) == "Did you mean `mlops`?"
    assert did_you_mean("mlop", [("mlops", "MLOps"), ("mlops-eu", "MLOps EU")]) == "Did you mean `mlops` or `mlops-eu`?"
    assert did_you_mean("finance", KNOWN) == "`/guild list` shows them all."
