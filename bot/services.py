"""Every use case of the bot, built once by the composition root (:mod:`bot.runtime.bootstrap`).

The Slack listeners (``handlers``), the scheduled jobs (``jobs``) and the CLI are handed
one :class:`Services` and call its members; none of them builds a service, a client or
an adapter.  Tests get theirs from the same ``bootstrap``, with replacements passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.approvals.policy import Policy
from bot.approvals.reports import ApprovalReports
from bot.approvals.routing import ApprovalRouting
from bot.approvals.service import ApprovalService
from bot.deliveries import DeliveryLedger
from bot.digest.service import DigestService
from bot.guilds.members import MemberService
from bot.guilds.service import GuildService
from bot.mentoring.rounds import RoundService
from bot.mentoring.service import MentoringService
from bot.models.deployments import DeploymentService
from bot.models.registry import ModelService
from bot.showtell.service import ShowTellService


@dataclass(frozen=True)
class Services:
    admins: frozenset[str]
    zone: ZoneInfo
    policy: Policy
    approvals: ApprovalService
    approval_routing: ApprovalRouting
    approval_reports: ApprovalReports
    guilds: GuildService
    members: MemberService
    mentoring: MentoringService
    rounds: RoundService
    models: ModelService
    deployments: DeploymentService
    showtell: ShowTellService
    digest: DigestService
    deliveries: DeliveryLedger

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins


def admin_check(admins: Iterable[str]):  # noqa: ANN201 - a predicate
    """The one definition of "is an admin" that every service is given."""
    frozen = frozenset(admins)
    return frozen.__contains__
