"""Storage: SQLAlchemy models, the database handle with its unit of work, and Alembic migrations.

Only this package knows the bot's tables and their SQL: services open a
:class:`~storage.db.UnitOfWork` and call the repository functions of each capability's
module (``storage/approvals.py``, ``storage/guilds.py``, …) and of ``storage/repositories.py``.
APScheduler keeps its own job table (``jobs/scheduler.py`` reads it for ``jobs list``).
"""

from storage import (  # noqa: F401 - every table on Base.metadata
    approvals, deployments, digest, guilds, mentoring, models, showtell,
)
from storage.db import Database, UnitOfWork

__all__ = ["Database", "UnitOfWork"]
