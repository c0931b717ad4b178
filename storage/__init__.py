"""Storage: SQLAlchemy models, the database handle with its unit of work, and Alembic migrations.

Only this package knows SQL.  Services receive a :class:`~storage.db.UnitOfWork`
and call the repository functions defined here.
"""

from storage import approvals, deployments, guilds, mentoring, models  # noqa: F401 - every table on Base.metadata
from storage.db import Database, UnitOfWork

__all__ = ["Database", "UnitOfWork"]
