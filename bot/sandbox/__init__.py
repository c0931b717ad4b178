"""``factorybot sandbox``: the real bot offline, with a loopback stand-in playing Slack.

* :class:`SlackStandIn` – a loopback Slack Web API (and response_url) server.
* :class:`SlackRequestBuilder` – signed Slack → app requests (commands, actions, events).
"""

from bot.sandbox.signing import SlackRequestBuilder
from bot.sandbox.slack_standin import Call, SlackStandIn

__all__ = ["Call", "SlackRequestBuilder", "SlackStandIn"]
