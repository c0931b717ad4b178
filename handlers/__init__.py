"""Slack entry points, one module per Slack surface, each with an explicit ``register(app, services)``.

Handlers parse a payload, call a service, render with :mod:`handlers.blocks`, and nothing else.
"""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers import approvals, commands, errors, events, guilds, mentoring, models


def register_all(app: App, services: Services) -> None:
    errors.register(app, services)
    commands.register(app, services)
    events.register(app, services)
    models.register(app, services)
    guilds.register(app, services)
    approvals.register(app, services)
    mentoring.register(app, services)
