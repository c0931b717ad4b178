"""Approvals in Slack: listeners, Block Kit views and the Slack adapters of the services' interfaces."""

from handlers.approvals.listeners import ROUTES, register

__all__ = ["ROUTES", "register"]
