"""What handlers and jobs are given to work with: settings, the database and the services.

Built once by :func:`bot.runtime.bootstrap.build_app` (or by a test) and handed to every
``handlers.*.register`` function, so nothing reaches for a global.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from bot.approvals.ports import DeploymentExecutor, HandOverExecutor
from bot.runtime.settings import Settings
from storage.db import Database

if TYPE_CHECKING:
    from bot.models.deployments import DeploymentService
    from bot.models.gateway import MlflowGateway
    from bot.approvals.policy import Policy


@dataclass
class Services:
    settings: Settings
    db: Database
    mlflow_override: MlflowGateway | None = field(default=None, repr=False)
    policy_override: Policy | None = field(default=None, repr=False)
    # What an approved model deployment is handed to (bot.approvals.ports); tests plug in a double.
    deployment_executor: DeploymentExecutor = field(default_factory=HandOverExecutor, repr=False)

    @cached_property
    def policy(self) -> Policy:
        """The approval policy: FACTORY_POLICY_FILE or the built-in one (the CLI loads it at start-up
        so a broken file stops the bot there, with its line and reason)."""
        from bot.approvals.policy import load_policy

        return self.policy_override or load_policy(self.settings.policy_file, admins=self.settings.admins)

    @cached_property
    def mlflow(self) -> MlflowGateway:
        """The MLflow gateway, built on first use (importing MLflow's client costs a second)."""
        from bot.models.gateway import MlflowGateway

        return self.mlflow_override or MlflowGateway(self.settings.effective_mlflow_uri)

    @cached_property
    def deployments(self) -> DeploymentService:
        from bot.models.deployments import DeploymentService

        return DeploymentService(self.db, self.mlflow)

    def is_admin(self, user_id: str) -> bool:
        return self.settings.is_admin(user_id)
