"""Ack latency of ``/factory help`` through ``factorybot serve`` against a bare Bolt app.

Both servers are separate processes served the same way (waitress, same thread count,
Bolt's WSGI adapter); the bare one registers a single listener that only acks.  The
load generator, in this process, sends signed slash commands at a fixed concurrency
and alternates between the two servers in rounds, so drift on a shared machine hits
both alike.  Prints p50/p99 for each, their ratios, and one JSON line at the end.

    python benchmarks/ack_latency.py [--requests 2000] [--concurrency 20] [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bot.sandbox import SlackRequestBuilder, SlackStandIn  # noqa: E402

SECRET = "benchmark-signing-secret-0123456789"
TOKEN = "xoxb-benchmark-0000"
THREADS = 16

BARE_APP = """
import sys
from slack_bolt import App
from slack_sdk import WebClient
from bot.runtime.server import serve_forever
from slack_bolt.adapter.wsgi import SlackRequestHandler

app = App(signing_secret=sys.argv[1], client=WebClient(token=sys.argv[2], base_url=sys.argv[3]),
          token_verification_enabled=False)
app.command("/factory")(lambda ack: ack())
serve_forever(SlackRequestHandler(app), host="127.0.0.1", port=int(sys.argv[4]), threads=int(sys.argv[5]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], env: dict[str, str], cwd: str, health: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early: {' '.join(cmd[:4])}")
        try:
            requests.post(health, timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def load(builder: SlackRequestBuilder, count: int, concurrency: int) -> tuple[list[float], int]:
    """Send ``count`` signed ``/factory help`` requests; return latencies (ms) and failures."""
    local = threading.local()

    def one(_: int) -> float | None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        body, headers = builder.build_slash_command("/factory", "help", user_id="U0BENCH01")
        headers = builder.signed_headers(body, headers)
        started = time.perf_counter()
        resp = session.post(builder.url, data=body, headers=headers, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        return elapsed if resp.status_code == 200 else None

    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, range(count)))
    ok = [r for r in results if r is not None]
    return ok, len(results) - len(ok)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="factorybot-bench-")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FACTORY_SCHEDULER": "off"}
    with SlackStandIn() as slack:
        bot_port, bare_port = free_port(), free_port()
        bot_env = {**env, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.api_url}
        procs = [
            start([sys.executable, "-m", "bot.runtime.cli", "serve", "--host", "127.0.0.1", "--port", str(bot_port),
                   "--threads", str(THREADS)], bot_env, work, f"http://127.0.0.1:{bot_port}/slack/events"),
            start([sys.executable, "-c", BARE_APP, SECRET, TOKEN, slack.api_url, str(bare_port), str(THREADS)],
                  env, work, f"http://127.0.0.1:{bare_port}/slack/events"),
        ]
        try:
            builders = {
                name: SlackRequestBuilder(signing_secret=SECRET, url=f"http://127.0.0.1:{port}/slack/events",
                                          response_url_base=slack.response_url(""))
                for name, port in (("factorybot", bot_port), ("bare", bare_port))
            }
            for b in builders.values():  # warm-up: imports, pools, first connections
                load(b, 200, args.concurrency)
            latencies: dict[str, list[float]] = {"factorybot": [], "bare": []}
            failures = {"factorybot": 0, "bare": 0}
            per_round = args.requests // args.rounds
            round_p99: dict[str, list[float]] = {"factorybot": [], "bare": []}
            for _ in range(args.rounds):
                for name, b in builders.items():
                    ok, failed = load(b, per_round, args.concurrency)
                    latencies[name] += ok
                    failures[name] += failed
                    round_p99[name].append(pct(ok, 99))
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=10)

    fig = {}
    for name in ("bare", "factorybot"):
        fig[f"{name}_p50_ms"] = round(statistics.median(latencies[name]), 2)
        fig[f"{name}_p99_ms"] = round(pct(latencies[name], 99), 2)
        fig[f"{name}_failures"] = failures[name]
        print(f"{name:>10}: {len(latencies[name])} requests, p50 {fig[f'{name}_p50_ms']} ms, "
              f"p99 {fig[f'{name}_p99_ms']} ms, failures {failures[name]}, "
              f"p99 per round {[round(x, 1) for x in round_p99[name]]}")
    fig["p50_ratio"] = round(fig["factorybot_p50_ms"] / fig["bare_p50_ms"], 3)
    fig["p99_ratio"] = round(fig["factorybot_p99_ms"] / fig["bare_p99_ms"], 3)
    ratios = [a / b for a, b in zip(round_p99["factorybot"], round_p99["bare"])]
    fig["p99_ratio_median_of_rounds"] = round(statistics.median(ratios), 3)
    print(f"p50 ratio {fig['p50_ratio']}, p99 ratio {fig['p99_ratio']} "
          f"(median of per-round p99 ratios {fig['p99_ratio_median_of_rounds']}); "
          f"{args.requests} requests each at concurrency {args.concurrency}, {THREADS} server threads")
    print(json.dumps({"benchmark": "ack_latency", **fig,
                      "targets": {"p99_ratio": {"max": 1.5}, "factorybot_failures": {"max": 0}}}))


if __name__ == "__main__":
    main()
