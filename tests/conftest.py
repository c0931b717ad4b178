"""Shared fixtures.

The database is real: a SQLite file per test by default, or, when
``FACTORYBOT_TEST_DATABASE_URL`` names a PostgreSQL server, a fresh schema made for
this test session (dropped at the end) whose tables are emptied before each test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import Database
from storage.migrate import upgrade
from storage.models import Base
from tests.mlflow_server import MlflowServer
from tests.support import ports
from tests.support.ports import SilentPort, SwitchableProxy

TEST_DATABASE_URL = os.environ.get("FACTORYBOT_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own Slack variables or .env file."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "FACTORY_", "OPENAI_", "MLFLOW_TRACKING")) or name == "DATABASE_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[str]:
    schema = f"factorybot_test_{uuid.uuid4().hex[:10]}"
    admin = Database(TEST_DATABASE_URL)
    with admin.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        db = Database(TEST_DATABASE_URL, connect_args={"options": f"-csearch_path={schema}"})
        upgrade(db.engine)
        db.dispose()
        yield schema
    finally:
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database for this test, as a URL (and ``search_path`` on PostgreSQL)."""
    if ON_POSTGRES:
        schema = request.getfixturevalue("_postgres_schema")
        db = Database(TEST_DATABASE_URL, connect_args={"options": f"-csearch_path={schema}"})
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        ours = {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"}
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            # Tables a test made for itself (APScheduler's job store, a replica's log) go too.
            others = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars()
            for table in set(others) - ours:
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
        db.dispose()
        sep = "&" if "?" in TEST_DATABASE_URL else "?"
        return f"{TEST_DATABASE_URL}{sep}options=-csearch_path%3D{schema}"
    path = tmp_path / "factorybot.db"
    shutil.copy(request.getfixturevalue("_sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """One real MLflow tracking server for the whole session (it takes seconds to start)."""
    server = MlflowServer(tmp_path_factory.mktemp("mlflow")).start()
    yield server
    server.stop()


@pytest.fixture
def mlflow_client(mlflow_server: MlflowServer):  # noqa: ANN201 - mlflow's client, imported lazily
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.uri, registry_uri=mlflow_server.uri)


@pytest.fixture
def mlflow_proxy(mlflow_server: MlflowServer) -> Iterator[SwitchableProxy]:
    """The real MLflow server behind a proxy a test switches off and on: MLflow goes away and
    comes back for the bot alone, while the session's server keeps running."""
    proxy = SwitchableProxy(("127.0.0.1", mlflow_server.port))
    yield proxy
    proxy.close()


@pytest.fixture
def closed_port_uri() -> str:
    """MLflow down: a loopback URL whose connections are refused."""
    return ports.closed_port_uri()


@pytest.fixture
def silent_port() -> Iterator[SilentPort]:
    """MLflow hung: a loopback port that accepts connections and never answers, until released."""
    port = SilentPort()
    yield port
    port.release()


@pytest.fixture
def model_name(request: pytest.FixtureRequest) -> str:
    """A registered-model name unique to this test (the MLflow server is shared by the session)."""
    return f"{request.node.name[:40].strip('_-[]')}-{uuid.uuid4().hex[:6]}".replace("[", "-").replace("]", "")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()
