import pytest

from bot.guilds.tags import MAX_TAGS, normalise_tag, parse_tags, tag_problems


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("MLOps", "mlops"),
        ("ml ops", "mlops"),
        ("ML-Ops", "mlops"),
        ("  ml   ops  ", "mlops"),
        ("LLMs", "llm"),
        ("Large Language Models", "llm"),
        ("GenAI", "generative-ai"),
        ("gen ai", "generative-ai"),
        ("Prompt Engineering", "prompt-engineering"),
        ("data_quality", "data-quality"),
        ("k8s", "kubernetes"),
        ("Python!", "python"),
        ("C++", "c++"),
        ("C#", "c#"),
        ("Node.js", "node.js"),
        ("vector databases", "vector-databases"),
    ],
)
def test_a_tag_is_normalised_for_case_whitespace_punctuation_and_synonyms(raw: str, tag: str) -> None:
    assert normalise_tag(raw) == tag


def test_punctuation_alone_is_no_tag() -> None:
    assert normalise_tag(" -- ! ") == ""


def test_tags_are_split_on_commas_semicolons_and_lines_not_spaces() -> None:
    assert parse_tags("ML ops, LLMs; gen ai\nPython") == ["mlops", "llm", "generative-ai", "python"]


def test_variants_of_one_tag_count_once_in_first_seen_order() -> None:
    assert parse_tags("python, MLOps, ml-ops, Python, , ml ops") == ["python", "mlops"]


def test_empty_text_means_no_tags() -> None:
    assert parse_tags("") == [] and parse_tags(" , ;\n") == []


def test_too_many_or_too_long_tags_are_refused_with_a_reason() -> None:
    assert tag_problems(["a"] * MAX_TAGS, what="skills") is None
    assert "At most 25 skills" in (tag_problems([f"t{i}" for i in range(MAX_TAGS + 1)], what="skills") or "")
    assert "under 64 characters" in (tag_problems(["x" * 65], what="topics") or "")
