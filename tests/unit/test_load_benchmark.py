"""``benchmarks/load.py`` imports, and its mix holds what it promises (the run itself is not a test: minutes)."""

from __future__ import annotations

import importlib.util
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

from bot.sandbox import SlackRequestBuilder


@pytest.fixture(scope="module")
def load():  # noqa: ANN201 - the benchmark's module
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "load.py"
    spec = importlib.util.spec_from_file_location("load_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_the_mix_has_every_kind_and_retried_deliveries_of_the_same_event(load) -> None:  # noqa: ANN001
    requests = load.mix(1000, random.Random(1))
    assert len(requests) == 1000
    kinds = Counter(r.kind for r in requests)
    assert kinds["command"] > 250 and kinds["action"] > 100 and kinds["event"] > 350
    retries = [i for i, r in enumerate(requests) if r.retry]
    assert len(retries) > 50
    builder = SlackRequestBuilder(signing_secret="s" * 20, url="http://127.0.0.1:9/slack/events")
    for i in retries[:5]:  # the delivery before it is the same event: round robin sends it to another replica
        original, again = requests[i - 1], requests[i]
        assert original.build == again.build and original.retry == 0
        name, args, kwargs = again.build
        body, _ = getattr(builder, name)(*args, **kwargs)
        assert kwargs["event_id"].encode() in body
    assert load.mix(1000, random.Random(1)) == requests  # the same load for every run
