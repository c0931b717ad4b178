"""Events API listeners that belong to no single capability."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.services import Services
from handlers.after_ack import AfterAckPool
from handlers.errors import Listeners
from handlers.home import publish_home


def register(app: Listeners, services: Services, after_ack: AfterAckPool) -> None:
    def app_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home" and isinstance(event.get("user"), str):
            after_ack.submit(publish_home, client, services, str(event["user"]))

    app.event("app_home_opened")(app_home_opened)
