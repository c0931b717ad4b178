"""What handlers and jobs are given to work with: settings, the database and the services.

Built once by :func:`bot.app.build_app` (or by a test) and handed to every
``handlers.*.register`` function, so nothing reaches for a global.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database

    def is_admin(self, user_id: str) -> bool:
        return self.settings.is_admin(user_id)
