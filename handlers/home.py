"""App Home: published on ``app_home_opened`` and re-published after changes that show there.

Each capability contributes its part, in this order: guilds, show-and-tell, then approvals.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.services import Services
from handlers import blocks
from handlers.approvals import views as approval_views
from handlers.guilds import views as guild_views
from handlers.showtell import views as showtell_views


def home_sections(services: Services, user_id: str) -> list[Block]:
    waiting = services.approval_reports.list_for(user=user_id, scope="pending")
    mine = [v for v in services.approval_reports.list_for(user=user_id, scope="mine") if v.pending]
    zone = showtell_views.zone_of(services.members.profile(user_id).tz, services.zone)  # cached: no users.info here
    return [
        *guild_views.home_blocks(services.guilds.home(user_id)),
        *showtell_views.home_blocks(services.showtell.home(user_id), zone=zone),
        *approval_views.home_section(waiting=waiting, mine=mine),
    ]


def publish_home(client: WebClient, services: Services, user_id: str) -> None:
    view = blocks.home_view(user_id=user_id, admin=services.is_admin(user_id),
                            sections=home_sections(services, user_id))
    client.views_publish(user_id=user_id, view=view)
