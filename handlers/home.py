"""App Home: published on ``app_home_opened`` and re-published after changes that show there."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from handlers import blocks as views
from bot.services import Services

# Each capability contributes its part of the Home tab, in this order.
HomeSection = Callable[[Services, str], list[Block]]
HOME_SECTIONS: list[HomeSection] = []


def publish_home(client: WebClient, services: Services, user_id: str) -> None:
    sections = [block for part in HOME_SECTIONS for block in part(services, user_id)]
    view = views.home_view(user_id=user_id, admin=services.is_admin(user_id), sections=sections)
    client.views_publish(user_id=user_id, view=view)
