"""Three replicas on one database: a delivery that reaches each of them has one effect.

Each replica is a whole bot built by ``bootstrap`` with its own database engine (as three
``factorybot serve`` processes would have) and served over HTTP; they share the database and
Slack.  A delivery is sent to all three at once, as Slack's retries may land on different
replicas behind a load balancer, and as a double-click may.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests

from bot.runtime.bootstrap import Bot, bootstrap
from bot.runtime.server import RunningServer, start_in_thread
from bot.runtime.settings import Settings
from bot.sandbox import SlackRequestBuilder, SlackStandIn
from storage.db import Database
from tests.e2e.approval_helpers import CountingExecutor, audit_kinds
from tests.e2e.conftest import ADMIN, MEMBER, texts
from tests.e2e.guild_support import activity, guild, open_memberships  # noqa: F401 - the guild fixture
from tests.polling import eventually


@pytest.fixture
def executor() -> CountingExecutor:
    return CountingExecutor(delay=0.2)  # a slow deployment widens any window for a second one


@pytest.fixture
def bot_parts(executor: CountingExecutor) -> dict[str, object]:
    return {"executor": executor}  # every replica hands deployments to this one counter


@pytest.fixture
def replica_urls(
    bot_server: RunningServer, bot_settings: Settings, database_url: str, bot_parts: dict[str, object]
) -> Iterator[list[str]]:
    """The Slack endpoint of the ``bot`` fixture's replica and of two more."""
    others: list[tuple[Bot, RunningServer, Database]] = []
    for _ in range(2):
        db = Database(database_url)
        bot = bootstrap(bot_settings, db=db, **bot_parts)
        others.append((bot, start_in_thread(bot.wsgi()), db))
    yield [f"{server.url}/slack/events" for server in (bot_server, *(s for _, s, _ in others))]
    for bot, server, db in others:
        bot.drain()
        server.stop()
        bot.close()
        db.dispose()


def deliver_to_each(
    signed: SlackRequestBuilder, urls: list[str], body: bytes, headers: dict[str, str], *, retries: bool = False
) -> list[int]:
    """POST the same signed request to every replica at the same moment; their HTTP statuses.

    With ``retries`` the second and third carry Slack's retry headers, as redeliveries do."""
    barrier = threading.Barrier(len(urls))
    statuses: dict[int, int] = {}

    def post(index: int, url: str) -> None:
        extra = {"X-Slack-Retry-Num": str(index), "X-Slack-Retry-Reason": "http_timeout"} if retries and index else {}
        signed_headers = signed.signed_headers(body, {**headers, **extra})
        barrier.wait()
        statuses[index] = requests.post(url, data=body, headers=signed_headers, timeout=10).status_code

    threads = [threading.Thread(target=post, args=(i, url)) for i, url in enumerate(urls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [statuses[i] for i in range(len(urls))]


def test_an_event_delivered_to_three_replicas_is_handled_once(
    signed: SlackRequestBuilder, slack: SlackStandIn, bot: Bot, replica_urls: list[str]
) -> None:
    body, headers = signed.build_event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    assert deliver_to_each(signed, replica_urls, body, headers, retries=True) == [200, 200, 200]
    slack.wait_for("views.publish")
    bot.drain()

    body, headers = signed.build_event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    assert deliver_to_each(signed, replica_urls[:1], body, headers) == [200]  # another event: handled
    slack.wait_for("views.publish", count=2)
    bot.drain()
    assert len(slack.calls("views.publish")) == 2


def test_an_approval_clicked_on_three_replicas_is_one_decision_and_one_deployment(
    signed: SlackRequestBuilder, slack: SlackStandIn, bot: Bot, database: Database,
    executor: CountingExecutor, replica_urls: list[str],
) -> None:
    filed = bot.services.approvals.file_request(
        requester=MEMBER, type_id="model_deployment", fields={"model": "churn", "version": 3, "alias": "staging"},
        answers={}, source="command",
    )
    request_id = filed.request.id
    body, headers = signed.build_block_actions(
        action_id="approval_approve", value=str(request_id), user_id=ADMIN, channel_id="D0ADMIN01",
        block_id=f"approval:{request_id}",
    )
    assert deliver_to_each(signed, replica_urls, body, headers) == [200, 200, 200]
    replies = [texts(call.params) for call in slack.wait_for("response_url", count=2)]
    assert all("You already approved" in reply for reply in replies), replies
    eventually(lambda: audit_kinds(database, request_id)[-1] == "executed", what="the deployment")  # on any replica
    assert audit_kinds(database, request_id) == ["requested", "approved", "executed"]
    assert executor.calls == [filed.request.public_id]


def test_a_join_clicked_on_three_replicas_is_one_membership_and_one_invitation(
    signed: SlackRequestBuilder, slack: SlackStandIn, database: Database, guild: str, replica_urls: list[str]
) -> None:
    before = len(slack.calls("response_url"))
    body, headers = signed.build_block_actions(
        action_id="guild_join", value="mlops:0", user_id=MEMBER, channel_id="C0GENERAL"
    )
    assert deliver_to_each(signed, replica_urls, body, headers) == [200, 200, 200]
    replies = [c.params["blocks"][0]["text"]["text"] for c in slack.wait_for("response_url", count=before + 3)]
    assert sorted(r.split(" ")[0] for r in replies[before:]) == [":tada:", ":warning:", ":warning:"]
    assert len(slack.calls("conversations.invite")) == 1
    assert open_memberships(database, "mlops") == [(MEMBER, "button")]
    assert [k for k, _, s in activity(database) if s == MEMBER] == ["guild.joined"]
