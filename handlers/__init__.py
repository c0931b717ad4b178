"""The whole Slack surface, by capability: listeners, Block Kit views and the Slack adapters
of the interfaces the services own.

Listeners parse a payload, call a service, render with the capability's ``views`` and
answer; they are registered explicitly here (no import-time decorators on a global app).
Slow work runs after the acknowledgement on :class:`handlers.after_ack.AfterAckPool`.
"""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers import commands, deliveries, errors, events
from handlers.after_ack import AfterAckPool
from handlers.approvals import listeners as approvals
from handlers.digest import listeners as digest
from handlers.guilds import listeners as guilds
from handlers.mentoring import listeners as mentoring
from handlers.models import listeners as models
from handlers.showtell import listeners as showtell

ROUTES = {**commands.help_routes(), **guilds.ROUTES, **models.ROUTES, **approvals.ROUTES, **mentoring.ROUTES,
          **digest.ROUTES, **showtell.ROUTES}


def register_all(app: App, services: Services, after_ack: AfterAckPool) -> None:
    """Every listener goes on through :class:`handlers.errors.Listeners`: no input ends in a 5xx."""
    errors.register(app)
    deliveries.register(app, services.deliveries)  # before any listener: a repeated event reaches none
    listeners = errors.Listeners(app)
    commands.register(listeners, services, after_ack, ROUTES)
    events.register(listeners, services, after_ack)
    for capability in (models, guilds, approvals, mentoring, showtell):
        capability.register(listeners, services, after_ack)
