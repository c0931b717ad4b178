"""Events API listeners."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot import views
from bot.services import Services


def register(app: App, services: Services) -> None:
    def app_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = event["user"]
        client.views_publish(user_id=user, view=views.home_view(user_id=user, admin=services.is_admin(user)))

    app.event("app_home_opened")(app_home_opened)
