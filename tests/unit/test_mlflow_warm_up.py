"""The MLflow client is imported on a background thread at start (``Bot.warm_up``): the start
does not wait for it, and the first ``/model`` does not either (issue 13, point 4)."""

from __future__ import annotations

import subprocess
import sys

# A fresh interpreter: in the test session mlflow is imported already.
WARM_UP = """
import sys, time
from bot.models.gateway import MlflowGateway

gateway = MlflowGateway("http://127.0.0.1:9")  # nothing listens: building the client asks nothing
started = time.monotonic()
thread = gateway.warm_up()
returned_after = time.monotonic() - started
thread.join(120)
assert returned_after < 0.3, f"warm_up() blocked for {returned_after:.2f} s"
assert "mlflow" in sys.modules and gateway._client is not None
started = time.monotonic()
gateway._mlflow()
assert time.monotonic() - started < 0.05, "the client was built again"
"""


def test_warm_up_returns_at_once_and_builds_the_client_in_the_background() -> None:
    done = subprocess.run([sys.executable, "-c", WARM_UP], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
