"""Profile tags: what people can teach and want to learn, in one spelling.

Mentoring matches on these tags and ``/guild info`` counts them, so "ML Ops", "ml-ops"
and "MLOps" must become the same tag.  Normalising is: lower case, whitespace and
underscores to single hyphens, stray punctuation dropped (``c++``, ``c#`` and
``node.js`` keep theirs), then a small synonym table mapping common variants onto one
canonical tag.  Plain functions, no storage.
"""

from __future__ import annotations

import re

MAX_TAG_LENGTH = 64  # the column's width
MAX_TAGS = 25  # per kind (teach / learn): a profile, not a CV

# Variants → canonical tag.  Keys are compared after normalisation *and* with hyphens
# removed, so "ml ops", "ml-ops" and "mlops" all hit the key "mlops".
SYNONYMS: dict[str, str] = {
    "mlops": "mlops",
    "llm": "llm",
    "llms": "llm",
    "largelanguagemodel": "llm",
    "largelanguagemodels": "llm",
    "genai": "generative-ai",
    "generativeai": "generative-ai",
    "ml": "machine-learning",
    "machinelearning": "machine-learning",
    "artificialintelligence": "ai",
    "nlp": "nlp",
    "naturallanguageprocessing": "nlp",
    "rag": "rag",
    "retrievalaugmentedgeneration": "rag",
    "k8s": "kubernetes",
    "kubernetes": "kubernetes",
    "py": "python",
    "python3": "python",
    "js": "javascript",
    "ts": "typescript",
    "dataquality": "data-quality",
    "dq": "data-quality",
    "dataeng": "data-engineering",
    "dataengineering": "data-engineering",
    "promptengineering": "prompt-engineering",
    "promptdesign": "prompt-engineering",
    "finetuning": "fine-tuning",
    "cv": "computer-vision",
    "computervision": "computer-vision",
    "llmops": "llmops",
    "evals": "evaluation",
    "evaluations": "evaluation",
    "llmevals": "llm-evaluation",
    "llmevaluation": "llm-evaluation",
}

_SEPARATORS = re.compile(r"[,;\n]+")
_KEEP = re.compile(r"[^a-z0-9+#.\- ]")
_SPACES = re.compile(r"[\s_]+")
_HYPHENS = re.compile(r"-{2,}")


def normalise_tag(raw: str) -> str:
    """One tag in its canonical spelling; ``""`` when nothing meaningful is left."""
    text = _SPACES.sub(" ", raw.casefold().replace("_", " ")).strip()
    text = _KEEP.sub("", text)
    text = _HYPHENS.sub("-", text.strip().replace(" ", "-")).strip("-").rstrip(".")
    if not text:
        return ""
    return SYNONYMS.get(text.replace("-", ""), text)


def parse_tags(text: str) -> list[str]:
    """Tags from free text separated by commas, semicolons or new lines; first spelling order, no repeats.

    Spaces do not separate: "ml ops" is one tag (which becomes "mlops").
    """
    tags = (normalise_tag(part) for part in _SEPARATORS.split(text or ""))
    return list(dict.fromkeys(tag for tag in tags if tag))


def tag_problems(tags: list[str], *, what: str) -> str | None:
    """Why these tags cannot be saved, in words for the person typing them; ``None`` if they can."""
    if len(tags) > MAX_TAGS:
        return f"At most {MAX_TAGS} {what}, please (you gave {len(tags)})."
    too_long = [tag for tag in tags if len(tag) > MAX_TAG_LENGTH]
    if too_long:
        return f"Keep each of your {what} under {MAX_TAG_LENGTH} characters (`{too_long[0][:20]}…` is longer)."
    return None
