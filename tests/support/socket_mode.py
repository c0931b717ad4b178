"""Socket Mode for the stand-in: ``apps.connections.open`` hands out a loopback WebSocket.

Slack's Socket Mode (https://api.slack.com/apis/socket-mode): the app opens a WebSocket
with an app-level token, Slack sends ``hello`` and then envelopes
(``{"envelope_id", "type": "slash_commands" | "interactive" | "events_api", "payload"}``),
and the app answers each with ``{"envelope_id", "payload"?}`` as its acknowledgement.
The server side uses the ``websockets`` package (test extra), imported when started.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from typing import Any

from bot.sandbox.slack_standin import APP_ID, SlackStandIn


class SocketModeStandIn:
    """Attach to a running :class:`SlackStandIn`; ``send`` envelopes and ``wait_ack`` their answers."""

    def __init__(self, slack: SlackStandIn) -> None:
        self._slack = slack
        self._outbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._acks: dict[str, dict[str, Any]] = {}
        self._acked = threading.Condition()
        self.connected = threading.Event()
        self._server: Any = None

    def __enter__(self) -> SocketModeStandIn:
        from websockets.sync.server import serve

        self._server = serve(self._session, "127.0.0.1", 0)
        threading.Thread(target=self._server.serve_forever, name="socket-mode-standin", daemon=True).start()
        port = self._server.socket.getsockname()[1]
        self._slack.answer_with("apps.connections.open", lambda s, p: {"url": f"ws://127.0.0.1:{port}/link/"})
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()

    def send(self, envelope_type: str, payload: dict[str, Any]) -> str:
        envelope_id = str(uuid.uuid4())
        self._outbox.put(
            {"envelope_id": envelope_id, "type": envelope_type, "payload": payload, "accepts_response_payload": True}
        )
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        with self._acked:
            if not self._acked.wait_for(lambda: envelope_id in self._acks, timeout=timeout):
                raise AssertionError(f"no ack for envelope {envelope_id} within {timeout} s")
            return self._acks[envelope_id]

    def _session(self, websocket: Any) -> None:
        websocket.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": APP_ID}}))
        self.connected.set()
        while True:
            try:
                websocket.send(json.dumps(self._outbox.get(timeout=0.05)))
            except queue.Empty:
                pass
            try:
                raw = websocket.recv(timeout=0.05)
            except TimeoutError:
                continue
            except Exception:  # the client went away
                return
            message = json.loads(raw)
            if "envelope_id" in message:
                with self._acked:
                    self._acks[message["envelope_id"]] = message
                    self._acked.notify_all()
