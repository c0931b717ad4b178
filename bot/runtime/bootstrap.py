"""The composition root: settings in, the whole bot out, built once.

:func:`bootstrap` builds the database, the Slack ``WebClient``, the MLflow gateway, the
policy, every service and every outbound adapter, and returns a :class:`Bot` that the
HTTP server, Socket Mode, the scheduler, the CLI and the sandbox all start from.  Nothing
else in the code builds a client, an adapter or a service; a test passes the part it
replaces (a database, a policy, a gateway on a closed port, a recording executor) as a
keyword argument.

This is the only module in ``bot/`` that knows Slack: it builds the ``WebClient`` and the
Bolt ``App`` and plugs the Slack adapters from ``handlers`` into the services' interfaces.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

import handlers
from bot.approvals.policy import Policy
from bot.approvals.policy_file import load_policy
from bot.approvals.ports import ApprovalNotifier, DeploymentExecutor
from bot.approvals.reports import ApprovalReports
from bot.approvals.routing import ApprovalRouting
from bot.approvals.service import ApprovalService
from bot.deliveries import DeliveryLedger
from bot.digest.ports import DigestPublisher, Narrator
from bot.digest.service import DigestService
from bot.guilds.members import Directory, MemberService
from bot.guilds.service import Channels, GuildService
from bot.mentoring.rounds import Delivery, RoundService
from bot.mentoring.service import MentoringService
from bot.models.deployments import DeploymentReporter, DeploymentService
from bot.models.executor import MlflowDeploymentExecutor
from bot.models.gateway import MlflowGateway
from bot.models.registry import ModelService
from bot.runtime import metrics
from bot.runtime.server import SLACK_PATH, FactoryWSGI
from bot.runtime.settings import Settings
from bot.services import Services, admin_check
from bot.showtell.model import ShowTellNotifier
from bot.showtell.service import ShowTellService
from handlers.after_ack import AfterAckPool, ListenerPool
from handlers.approvals.notifier import SlackApprovalNotifier
from handlers.digest.publisher import SlackDigestPublisher
from handlers.guilds.slack import SlackChannels, SlackDirectory
from handlers.mentoring.delivery import SlackMentoringDelivery
from handlers.models.reporter import SlackDeploymentReporter
from handlers.showtell.notifier import SlackShowTellNotifier
from handlers.models.webhook import make_receiver
from storage.db import Database


class CountingWebClient(WebClient):
    """A ``WebClient`` that counts the calls failing after its retries, by method (``/metrics``)."""

    def api_call(self, api_method: str, **kwargs: Any) -> Any:
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            data = exc.response.data
            error = data.get("error") if isinstance(data, dict) else None
            metrics.count_web_api_error(api_method, str(error or f"http_{exc.response.status_code}"))
            raise
        except Exception as exc:  # a timeout, a refused connection
            metrics.count_web_api_error(api_method, type(exc).__name__)
            raise


def build_web_client(settings: Settings) -> WebClient:
    """A ``WebClient`` on ``SLACK_API_URL`` that retries rate limits (429 + Retry-After),
    5xx answers and dropped connections with slack-sdk's own retry handlers."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return CountingWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def mlflow_gateway(settings: Settings) -> MlflowGateway:
    return MlflowGateway(settings.effective_mlflow_uri)


def openai_narrator(settings: Settings) -> Narrator | None:
    """The digest's narrator when ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` is set, else None (template
    sentences).  Imported only then: the openai package takes a second or two to import."""
    if settings.openai_api_key is None and settings.openai_base_url is None:
        return None
    from bot.digest.openai_narrator import OpenAINarrator

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return OpenAINarrator(
        model=settings.openai_model, prompt=settings.digest_prompt, api_key=key,
        base_url=settings.openai_base_url, timeout=settings.openai_timeout,
    )


def _own_client(client: WebClient) -> Callable[..., None]:
    """Bolt middleware: listeners call Slack with the bot's own client (its retries, its failures
    counted in ``/metrics``) rather than the plain copy Bolt makes for each request."""

    def middleware(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002 - Bolt's name
        context["client"] = client
        next()

    return middleware


class SlackRefused(Exception):
    """Building the Bolt app failed: Slack did not accept the token or could not be reached."""


@dataclass
class Bot:
    """Everything :func:`bootstrap` built; the Bolt app and the HTTP surface on first use."""

    settings: Settings
    db: Database
    client: WebClient
    services: Services
    after_ack: AfterAckPool
    listener_pool: ListenerPool
    token_verification: bool = True
    mlflow: MlflowGateway | None = None
    _app: App | None = field(default=None, repr=False)

    @property
    def app(self) -> App:
        """The Bolt app with every listener registered.

        Bolt acknowledges on its listener pool (``FACTORY_LISTENER_THREADS``; its default of 5
        is too few for a busy workspace); slow work goes to ``after_ack`` instead.
        """
        if self._app is None:
            secret = self.settings.slack_signing_secret
            app = App(
                client=self.client,
                signing_secret=secret.get_secret_value() if secret else "",
                token_verification_enabled=self.token_verification,
                listener_executor=self.listener_pool,
                logger=logging.getLogger("factorybot.bolt"),
            )
            app.use(_own_client(self.client))
            handlers.register_all(app, self.services, self.after_ack)
            self._app = app
        return self._app

    def check_slack(self) -> None:
        """Build the Bolt app now (it asks Slack who the token belongs to), so a bad token
        stops the start rather than the first request; raises :class:`SlackRefused`."""
        try:
            self.app  # noqa: B018 - built for its check
        except BoltError as exc:
            raise SlackRefused(str(exc)) from exc

    def warm_up(self) -> None:
        """Start preparing what the first requests would otherwise wait for (the MLflow client,
        seconds to import) on a background thread; never blocks the start."""
        if self.mlflow is not None:
            self.mlflow.warm_up()

    def serve_socket_mode(self, app_token: str) -> None:
        """Serve Slack over Socket Mode until the process stops."""
        SocketModeHandler(self.app, app_token).start()

    def wsgi(self) -> FactoryWSGI:
        """The whole HTTP surface: Bolt at ``/slack/events``, the MLflow webhook, the health check."""
        return FactoryWSGI(
            SlackRequestHandler(self.app, path=SLACK_PATH),
            self.db,
            mlflow_webhook=make_receiver(self.settings.mlflow_webhook_secret, self.services.models, self.client),
            load=self.after_ack.health,
        )

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until no listener runs and no work after an ack is left (tests, the sandbox).

        Listeners may submit work after the ack and that work may answer with a new request
        to the bot, so both pools are waited for until both are quiet."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = max(0.0, deadline - time.monotonic())
            if self.listener_pool.wait_idle(left) and self.after_ack.drain(left) and self.listener_pool.wait_idle(0):
                return
        raise TimeoutError(f"work was still running after {timeout} s")

    def close(self, timeout: float = 30.0) -> None:
        """Finish the work accepted after acknowledgements (SIGTERM), then stop taking more."""
        self.after_ack.shutdown(timeout)


def bootstrap(
    settings: Settings,
    *,
    db: Database | None = None,
    client: WebClient | None = None,
    policy: Policy | None = None,
    mlflow: MlflowGateway | None = None,
    executor: DeploymentExecutor | None = None,
    approval_notifier: ApprovalNotifier | None = None,
    deployment_reporter: DeploymentReporter | None = None,
    mentoring_delivery: Delivery | None = None,
    directory: Directory | None = None,
    channels: Channels | None = None,
    showtell_notifier: ShowTellNotifier | None = None,
    digest_publisher: DigestPublisher | None = None,
    narrator: Narrator | None = None,
    after_ack: AfterAckPool | None = None,
    token_verification: bool = True,
) -> Bot:
    """Build the bot from ``settings``; each keyword replaces the part it names."""
    db = db or Database(settings.database_url)
    client = client or build_web_client(settings)
    policy = policy or load_policy(settings.policy_file, admins=settings.admins)
    mlflow = mlflow or mlflow_gateway(settings)
    is_admin = admin_check(settings.admins)

    deployments = DeploymentService(
        db, mlflow, reporter=deployment_reporter or SlackDeploymentReporter(client)
    )
    executor = executor or MlflowDeploymentExecutor(deployments)
    approvals = ApprovalService(db, policy, executor=executor, is_admin=is_admin)
    members = MemberService(db, directory=directory or SlackDirectory(client))
    services = Services(
        admins=frozenset(settings.admins),
        zone=settings.zone,
        policy=policy,
        approvals=approvals,
        approval_routing=ApprovalRouting(
            db, policy, notifier=approval_notifier or SlackApprovalNotifier(client), executor=executor
        ),
        approval_reports=ApprovalReports(db, policy),
        guilds=GuildService(db, is_admin=is_admin, channels=channels or SlackChannels(client)),
        members=members,
        mentoring=MentoringService(db, zone=settings.zone, is_admin=is_admin),
        rounds=RoundService(
            db, zone=settings.zone, is_admin=is_admin,
            delivery=mentoring_delivery or SlackMentoringDelivery(client),
        ),
        models=ModelService(mlflow, db, approvals=approvals),
        deployments=deployments,
        showtell=ShowTellService(
            db, zone=settings.zone, is_admin=is_admin, notifier=showtell_notifier or SlackShowTellNotifier(client)
        ),
        digest=DigestService(
            db, zone=settings.zone, publisher=digest_publisher or SlackDigestPublisher(client),
            narrator=narrator or openai_narrator(settings), org_channel=settings.digest_channel,
            is_admin=is_admin,
        ),
        deliveries=DeliveryLedger(db),
    )
    return Bot(
        settings=settings, db=db, client=client, services=services,
        after_ack=after_ack or AfterAckPool(workers=settings.after_ack_threads),
        listener_pool=ListenerPool(settings.listener_threads),
        token_verification=token_verification, mlflow=mlflow,
    )
