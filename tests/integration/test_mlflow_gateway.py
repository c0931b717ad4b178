"""The MLflow gateway against a real MLflow tracking server on loopback."""

from __future__ import annotations

import time

import pytest

from bot.models.gateway import MlflowGateway, MlflowUnavailable, NotFound
from tests.mlflow_server import seed_model
from tests.support.ports import SilentPort


@pytest.fixture
def gateway(mlflow_server) -> MlflowGateway:  # noqa: ANN001
    return MlflowGateway(mlflow_server.uri)


def test_status_reads_aliases_versions_and_run_metrics(mlflow_client, gateway: MlflowGateway, model_name: str) -> None:
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.81}, {"auc": 0.86, "f1": 0.7}, {"auc": 0.9}],
               aliases={"production": 2, "staging": 3})
    model = gateway.model(model_name)
    assert model.aliases == {"production": "2", "staging": "3"}
    assert model.latest_version == "3"
    versions = gateway.versions(model_name)
    assert [(v.version, v.aliases) for v in versions] == [("3", ("staging",)), ("2", ("production",)), ("1", ())]
    v2 = gateway.version(model_name, "2")
    assert v2.metrics == {"auc": 0.86, "f1": 0.7}
    assert v2.status == "READY" and v2.tags == {"framework": "sklearn"}
    assert gateway.model(model_name).aliases.get("production") == "2"
    assert gateway.model(model_name).aliases.get("canary") is None


def test_list_filters_by_name_and_pages(mlflow_client, gateway: MlflowGateway, model_name: str) -> None:
    for suffix in ("a", "b", "c"):
        seed_model(mlflow_client, f"{model_name}-{suffix}", versions=[{"auc": 0.5}])
    first = gateway.list_models(name_filter=model_name, page_size=2)
    assert [m.name for m in first.models] == [f"{model_name}-a", f"{model_name}-b"]
    assert first.next_token
    second = gateway.list_models(name_filter=model_name, page_size=2, page_token=first.next_token)
    assert [m.name for m in second.models] == [f"{model_name}-c"]


def test_unknown_model_suggests_the_closest_names(mlflow_client, gateway: MlflowGateway, model_name: str) -> None:
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.5}])
    with pytest.raises(NotFound) as info:
        gateway.model(model_name[:-1] + "x")
    assert model_name in info.value.suggestions


def test_unknown_version_lists_the_known_ones(mlflow_client, gateway: MlflowGateway, model_name: str) -> None:
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.5}, {"auc": 0.6}])
    with pytest.raises(NotFound) as info:
        gateway.version(model_name, "9")
    assert str(info.value) == f"`{model_name}` has no version 9."
    assert info.value.suggestions == ["2", "1"]


def test_set_alias_and_tags_are_visible_in_mlflow(mlflow_client, gateway: MlflowGateway, model_name: str) -> None:
    seed_model(mlflow_client, model_name, versions=[{"auc": 0.5}, {"auc": 0.6}], aliases={"production": 1})
    gateway.set_alias(model_name, "production", "2")
    gateway.tag_version(model_name, "2", {"factorybot.approval": "AR-7"})
    assert mlflow_client.get_model_version_by_alias(model_name, "production").version == "2"
    assert mlflow_client.get_model_version(model_name, "2").tags["factorybot.approval"] == "AR-7"


def test_mlflow_down_is_reported_quickly_as_unavailable(closed_port_uri: str) -> None:
    gateway = MlflowGateway(closed_port_uri)
    started = time.monotonic()
    with pytest.raises(MlflowUnavailable, match="MLflow did not answer"):
        gateway.model("anything")
    assert time.monotonic() - started < 8


def test_mlflow_hanging_is_unavailable_after_the_request_timeout_and_one_retry(
    silent_port: SilentPort, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator's ``MLFLOW_HTTP_REQUEST_TIMEOUT`` wins over the gateway's 10 s default."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")
    gateway = MlflowGateway(silent_port.uri)
    started = time.monotonic()
    with pytest.raises(MlflowUnavailable, match="MLflow did not answer"):
        gateway.list_models()
    assert 2 <= time.monotonic() - started < 8  # two attempts of one second each, not 2 × 10 s


def test_mlflow_answering_5xx_is_unavailable_not_a_crash() -> None:
    """A proxy in front of MLflow answering 503 (as during a restart) is 'try later', like down."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class Unavailable(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(503)
            self.end_headers()
            self.wfile.write(b"upstream restarting")

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        gateway = MlflowGateway(f"http://127.0.0.1:{server.server_address[1]}")
        with pytest.raises(MlflowUnavailable, match="MLflow did not answer"):
            gateway.model("churn")
    finally:
        server.shutdown()
