"""``factorybot sandbox``: the real bot offline, with a loopback stand-in playing Slack.

* :class:`SlackStandIn` – a loopback Slack Web API (and response_url) server.
* :class:`SlackRequestBuilder` – signed Slack → app requests (commands, actions, events).

The sandbox itself: ``console`` (start, state folder), ``workspace`` (the demo data),
``session`` (who is at the prompt, inboxes, clicks), ``modal`` (forms asked field by field),
``render`` (Block Kit as text) and ``script`` (terminal, piped input, ``--script``, the tour).
"""

from bot.sandbox.signing import SlackRequestBuilder
from bot.sandbox.slack_standin import Call, SlackStandIn

__all__ = ["Call", "SlackRequestBuilder", "SlackStandIn"]
