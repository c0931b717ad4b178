"""Test doubles shared by the test suite and the benchmarks.

* :class:`SlackStandIn` – a loopback Slack Web API (and response_url) server.
* :class:`SlackRequestBuilder` – signed Slack → app requests (commands, actions, events).
"""

from bot.testing.signing import SlackRequestBuilder
from bot.testing.slack_standin import Call, SlackStandIn

__all__ = ["Call", "SlackRequestBuilder", "SlackStandIn"]
