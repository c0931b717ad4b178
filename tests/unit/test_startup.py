"""Start-up stays fast: heavy clients load only when used, and Bolt's pool is sized on purpose."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from bot.runtime.cli import build_parser
try:
    build_parser().parse_args(["--help"])
except SystemExit:
    pass
after_help = sorted({m.split(".")[0] for m in sys.modules} & {"mlflow", "slack_bolt", "sqlalchemy"})
from bot.runtime.bootstrap import bootstrap
from bot.runtime.settings import load_settings
app = bootstrap(load_settings(SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET="s", DATABASE_URL="sqlite://",
                              FACTORY_LISTENER_THREADS=24), token_verification=False).app
after_app = sorted({m.split(".")[0] for m in sys.modules} & {"mlflow"})
print(after_help, after_app, app.listener_runner.listener_executor._max_workers)
"""


def test_help_imports_no_heavy_module_and_the_app_does_not_import_mlflow(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[-2] == "[] [] 24"
