from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.db import Database
from storage.migrate import current_revision, head_revision, upgrade
from storage.repositories import activity_between, claim_once, record_activity


def test_migrations_reach_head(database: Database) -> None:
    assert current_revision(database.engine) == head_revision()


def test_upgrade_twice_is_harmless(database: Database) -> None:
    upgrade(database.engine)
    assert current_revision(database.engine) == head_revision()


def test_activity_log_round_trip_keeps_utc(database: Database) -> None:
    at = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)
    with database.unit_of_work() as uow:
        record_activity(uow.session, kind="guild.joined", actor="U1", guild="mlops", figures={"n": 1}, at=at)
        uow.commit()
    with database.unit_of_work() as uow:
        events = activity_between(uow.session, at - timedelta(days=1), at + timedelta(days=1), guild="mlops")
    assert [(e.kind, e.actor, e.figures, e.at) for e in events] == [("guild.joined", "U1", {"n": 1}, at)]


@pytest.mark.parametrize("statement", ["UPDATE activity_events SET kind = 'x'", "DELETE FROM activity_events"])
def test_activity_log_is_append_only_in_the_database(database: Database, statement: str) -> None:
    with database.unit_of_work() as uow:
        record_activity(uow.session, kind="guild.joined", actor="U1")
        uow.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        with database.engine.begin() as conn:
            conn.execute(text(statement))
    with database.unit_of_work() as uow:
        assert uow.session.execute(text("SELECT kind FROM activity_events")).scalars().all() == ["guild.joined"]


def test_unit_of_work_rolls_back_without_commit(database: Database) -> None:
    with database.unit_of_work() as uow:
        record_activity(uow.session, kind="never")
    with database.unit_of_work() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM activity_events")).scalar() == 0


def test_claim_once_is_true_only_the_first_time(database: Database) -> None:
    with database.unit_of_work() as uow:
        assert claim_once(uow.session, "slack:Ev1")
        assert not claim_once(uow.session, "slack:Ev1")
        uow.commit()
    with database.unit_of_work() as uow:
        assert not claim_once(uow.session, "slack:Ev1")
        assert claim_once(uow.session, "slack:Ev2")


def test_migrations_match_the_models(database: Database) -> None:
    """Every model change comes with its migration: autogenerate finds nothing to add."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import Base

    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name == "apscheduler_jobs")] == []
