"""A real ``mlflow server`` on loopback for the test session, with a SQLite backend.

It runs for the whole session: tests that need MLflow down or hung point the bot at a
port from :mod:`tests.support.ports` instead.  Webhooks to loopback are allowed, as the
bot's own ``POST /mlflow/webhook`` is on 127.0.0.1 in tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from tests.polling import eventually


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WEBHOOK_CACHE_TTL_S = 1


class MlflowServer:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = _free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> MlflowServer:
        env = {
            **os.environ,
            "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
            "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
            # The server caches each event's webhook list (60 s by default): a webhook made
            # by a test would miss events for a minute.  One second, and tests wait it out.
            "MLFLOW_WEBHOOK_CACHE_TTL": "1",
            # MLflow 3 also starts a job runner and a handful of huey consumers (GenAI jobs the
            # bot never uses): seconds of CPU at start and polling all session long.
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        }
        mlflow_cli = Path(sys.executable).with_name("mlflow")
        command = [str(mlflow_cli)] if mlflow_cli.exists() else [sys.executable, "-m", "mlflow"]
        self._proc = subprocess.Popen(
            [*command, "server", "--backend-store-uri", f"sqlite:///{self.workdir / 'mlflow.db'}",
             "--default-artifact-root", str(self.workdir / "artifacts"),
             "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
            env=env, cwd=self.workdir, stdout=open(self.workdir / "server.log", "ab"), stderr=subprocess.STDOUT,
        )
        eventually(self._started, seconds=timeout, what="the mlflow server answering /health")
        return self

    def _started(self) -> bool:
        if self._proc.poll() is not None:
            raise RuntimeError(f"mlflow server exited: {(self.workdir / 'server.log').read_text()[-2000:]}")
        try:
            return requests.get(f"{self.uri}/health", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None


def seed_model(client: Any, name: str, *, versions: list[dict[str, float]], aliases: dict[str, int] | None = None,
               experiment: str = "factorybot-tests") -> list[str]:
    """A registered model with one run per version (metrics logged), and aliases set."""
    exp = client.get_experiment_by_name(experiment)
    exp_id = exp.experiment_id if exp else client.create_experiment(experiment)
    client.create_registered_model(name, description=f"{name} for tests", tags={"team": "ml-platform"})
    made = []
    for metrics in versions:
        run = client.create_run(exp_id)
        for key, value in metrics.items():
            client.log_metric(run.info.run_id, key, value)
        client.set_terminated(run.info.run_id)
        version = client.create_model_version(name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id,
                                              tags={"framework": "sklearn"})
        made.append(str(version.version))
    for alias, version in (aliases or {}).items():
        client.set_registered_model_alias(name, alias, str(version))
    return made
