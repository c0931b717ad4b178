"""Three ``factorybot serve`` replicas on one PostgreSQL under mixed Slack traffic, against a bare Bolt app.

Slash commands (``/factory help``, ``/guild list``, ``/guild join``), Join buttons and events
(App Home opened, someone joining a guild's channel, half of those delivered again with
``X-Slack-Retry-Num`` — by round robin, to another replica) are signed as Slack signs them
and started at a fixed rate (``--rate``, 100 a second; 0: each as soon as a worker is free) by
50 workers, round robin over the three replicas.  A fixed rate measures the acknowledgement
at a given traffic, not the queue that a closed loop builds once the work after the ack falls
behind.  The same requests go to three bare Bolt processes that only acknowledge, in
alternating rounds, so drift on a shared machine hits both alike.  The Slack Web API is the
loopback stand-in, in a process of its own so that its work does not slow the load generator.

Afterwards (the replicas stopped with SIGTERM, so their work after the ack is finished):
every join asked for must be in the database exactly once — the activity log and the
channel invitations are counted per (guild, person); a join twice is a duplicated side
effect, a join missing is a lost one.  Errors are non-200 answers and answers that report a
failure; a join answered "busy" (the after-ack queue full) is expected not to be done.  The
schema it creates on PostgreSQL (``FACTORYBOT_BENCH_DATABASE_URL``, default the test server)
is dropped at the end.

    python benchmarks/load.py [--requests 5000] [--concurrency 50] [--rate 100] [--rounds 5] [--quick]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bot.sandbox import SlackRequestBuilder, SlackStandIn  # noqa: E402
from bot.sandbox.slack_standin import BOT_USER_ID  # noqa: E402
from handlers.guilds.views import JOIN_ACTION  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

POSTGRES = os.environ.get("FACTORYBOT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "load-benchmark-signing-secret-0123456789"
TOKEN = "xoxb-load-benchmark-0000"
ADMIN = "U0LOADADM"
REPLICAS, THREADS = 3, 16
GUILDS = [(f"load{i}", f"C0LOAD{i:03d}") for i in range(6)]
USERS = [f"U0LOAD{i:04d}" for i in range(300)]
FAILURE_MARKS = (b"I could not finish this", b"Something went wrong")
BUSY_MARK = b"I'm busy"

BARE_APP = """
import re, sys
from slack_bolt import App
from slack_sdk import WebClient
from slack_bolt.adapter.wsgi import SlackRequestHandler
from bot.runtime.server import serve_forever

app = App(signing_secret=sys.argv[1], client=WebClient(token=sys.argv[2], base_url=sys.argv[3]),
          token_verification_enabled=False)
anything = re.compile(".*")
for register in (app.command, app.action, app.event):
    register(anything)(lambda ack: ack())
serve_forever(SlackRequestHandler(app), host="127.0.0.1", port=int(sys.argv[4]), threads=int(sys.argv[5]))
"""


@dataclass(frozen=True)
class Request:
    """One request of the mix: how to build its body, and the join it asks for, if any."""

    kind: str
    build: tuple  # (builder method name, args, kwargs)
    retry: int = 0  # X-Slack-Retry-Num
    joins: tuple[str, str] | None = None  # (guild slug, user)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    refused: set[int] = field(default_factory=set)  # answered "busy" in the ack
    answer_keys: dict[str, int] = field(default_factory=dict)  # a click's response_url key -> its request
    lock: threading.Lock = field(default_factory=threading.Lock)


def mix(count: int, rng: random.Random) -> list[Request]:
    """``count`` requests: a third commands, a sixth Join buttons, half events (a third of them retried)."""
    out: list[Request] = []
    while len(out) < count:
        user, (slug, channel) = rng.choice(USERS), rng.choice(GUILDS)
        roll = rng.random()
        if roll < 0.15:
            out.append(Request("command", ("build_slash_command", ("/factory", "help"), {"user_id": user})))
        elif roll < 0.25:
            out.append(Request("command", ("build_slash_command", ("/guild", "list"), {"user_id": user})))
        elif roll < 0.40:
            out.append(Request("command", ("build_slash_command", ("/guild", f"join {slug}"), {"user_id": user}),
                               joins=(slug, user)))
        elif roll < 0.55:
            out.append(Request("action", ("build_block_actions", (), {
                "action_id": JOIN_ACTION, "value": f"{slug}:1", "user_id": user, "channel_id": "C0GENERAL"}),
                joins=(slug, user)))
        elif roll < 0.75:
            out.append(Request("event", ("build_event", ({"type": "app_home_opened", "user": user, "tab": "home"},),
                                         {})))
        else:
            event = ({"type": "member_joined_channel", "user": user, "channel": channel, "channel_type": "C"},)
            event_id = f"Ev{uuid.UUID(int=rng.getrandbits(128)).hex[:12].upper()}"
            out.append(Request("event", ("build_event", event, {"event_id": event_id}), joins=(slug, user)))
            if rng.random() < 0.5:  # Slack delivers it again; round robin sends it to the next replica
                out.append(Request("event", ("build_event", event, {"event_id": event_id}), retry=1,
                                   joins=(slug, user)))
    return out[:count]


def send(builders: list[SlackRequestBuilder], requests_: list[tuple[int, Request]], *, concurrency: int,
         rate: float, tally: Tally, deadline: float) -> None:
    """Each request to the next replica in turn, ``concurrency`` at most in flight, started ``rate`` a
    second (0: each as soon as a worker is free); its latency is the time to the answer (the ack)."""
    local = threading.local()
    began = time.monotonic()

    def one(n: int) -> None:
        if rate and (wait := began + n / rate - time.monotonic()) > 0:
            time.sleep(wait)
        if not hasattr(local, "session"):
            local.session = requests.Session()
        (index, request), builder = requests_[n], builders[n % len(builders)]
        name, args, kwargs = request.build
        body, headers = getattr(builder, name)(*args, **kwargs)
        headers = builder.signed_headers(body, headers)
        if request.retry:
            headers |= {"X-Slack-Retry-Num": str(request.retry), "X-Slack-Retry-Reason": "http_timeout"}
        failed, content, elapsed = True, b"", 0.0
        if time.monotonic() < deadline:  # past it, what is left counts as failed: the run stops by itself
            started = time.perf_counter()
            try:
                resp = local.session.post(builder.url, data=body, headers=headers, timeout=30)
                elapsed = (time.perf_counter() - started) * 1000
                content = resp.content
                failed = resp.status_code != 200 or any(mark in content for mark in FAILURE_MARKS)
            except requests.RequestException:
                pass
        with tally.lock:
            tally.errors += failed
            if not failed:
                tally.latencies.append(elapsed)
            if BUSY_MARK in content:
                tally.refused.add(index)
            if request.kind == "action":
                tally.answer_keys[response_key(body)] = index

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(len(requests_))))


def response_key(body: bytes) -> str:
    """The last part of a click's response_url, where a busy answer to it would be posted."""
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    return payload["response_url"].rsplit("/", 1)[-1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")


# -- the processes -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], env: dict[str, str], cwd: str, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"a server exited at start: {' '.join(cmd[:5])}")
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("a server did not start within 90 s")


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)  # serve finishes its work after the ack, then exits
    for p in procs:
        try:
            p.wait(timeout=40)
        except subprocess.TimeoutExpired:
            p.kill()


def run_standin(conn) -> None:  # noqa: ANN001 - a multiprocessing Connection
    """The Slack stand-in in a process of its own; on request, what it saw."""
    with SlackStandIn() as slack:
        for user in (*USERS, ADMIN):
            slack.add_user(user, name=user.lower())
        for slug, channel in GUILDS:
            slack.add_channel(channel, name=slug, members=[BOT_USER_ID])
        conn.send((slack.api_url, slack.response_url("")))
        conn.recv()
        answers = [(c.path.rsplit("/", 1)[-1], json.dumps(c.params).encode()) for c in slack.calls("response_url")]
        invites = Counter((c.params.get("channel"), c.params.get("users")) for c in slack.calls("conversations.invite")
                          if c.ok)
        conn.send({
            "failed_answers": sum(any(m in a for m in FAILURE_MARKS) for _, a in answers),
            "busy_keys": [key for key, a in answers if BUSY_MARK in a],
            "duplicated_invites": sum(n - 1 for n in invites.values()),
        })


def joins_in_database(db: Database) -> Counter:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT guild, subject, count(*) FROM activity_events "
                                 "WHERE kind = 'guild.joined' GROUP BY guild, subject")).all()
    return Counter({(guild, subject): n for guild, subject, n in rows})


def create_guilds(builder: SlackRequestBuilder, db: Database) -> None:
    for slug, channel in GUILDS:
        builder.slash_command("/guild", f'create {slug} <#{channel}|{slug}> "Load {slug}"', user_id=ADMIN)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            if conn.execute(text("SELECT count(*) FROM guilds")).scalar_one() == len(GUILDS):
                return
        time.sleep(0.1)
    raise SystemExit("the guilds were not created")


# -- the run ---------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate", type=float, default=100,
                        help="requests started per second (default: 100); 0 sends each as soon as a worker is free")
    parser.add_argument("--max-seconds", type=float, default=600, help="stop sending after this long")
    parser.add_argument("--quick", action="store_true", help="500 requests in 2 rounds")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.rounds = 500, 2

    schema = f"factorybot_load_{uuid.uuid4().hex[:8]}"
    admin = Database(POSTGRES)
    with admin.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(POSTGRES, connect_args={"options": f"-csearch_path={schema}"})
    standin = None
    procs: list[subprocess.Popen] = []
    try:
        upgrade(db.engine)
        parent, child = multiprocessing.get_context("spawn").Pipe()
        standin = multiprocessing.get_context("spawn").Process(target=run_standin, args=(child,), daemon=True)
        standin.start()
        api_url, response_base = parent.recv()
        fig, load, tally = measure(args, db, schema, api_url, response_base, procs)
        parent.send("report")
        seen = parent.recv()
        fig |= count_side_effects(db, load, tally, seen)
    finally:
        stop(procs)
        if standin is not None:
            standin.kill()
        db.dispose()
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    report(args, fig)


def measure(args: argparse.Namespace, db: Database, schema: str, api_url: str, response_base: str,
            procs: list[subprocess.Popen]) -> tuple[dict[str, float], list[Request], Tally]:
    """Start the replicas and the bare apps, send the load in rounds, stop the replicas; the latency
    figures, the load sent and what the replicas answered."""
    work = tempfile.mkdtemp(prefix="factorybot-load-")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    bot_env = {**env, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api_url,
               "DATABASE_URL": f"{POSTGRES}?options=-csearch_path%3D{schema}", "FACTORY_ADMINS": ADMIN}
    ports = {"factorybot": [free_port() for _ in range(REPLICAS)], "bare": [free_port() for _ in range(REPLICAS)]}
    replicas = [start([sys.executable, "-m", "bot.runtime.cli", "serve", "--host", "127.0.0.1", "--port", str(p),
                       "--threads", str(THREADS)], bot_env, work, p) for p in ports["factorybot"]]
    procs += replicas
    procs += [start([sys.executable, "-c", BARE_APP, SECRET, TOKEN, api_url, str(p), str(THREADS)], env, work, p)
              for p in ports["bare"]]
    builders = {name: [SlackRequestBuilder(signing_secret=SECRET, url=f"http://127.0.0.1:{p}/slack/events",
                                           response_url_base=response_base) for p in group]
                for name, group in ports.items()}
    create_guilds(builders["factorybot"][0], db)

    rng = random.Random(13)
    warm = [r for r in mix(600, rng) if r.joins is None][:300]  # imports, pools, connections; no side effects
    load = mix(args.requests, rng)
    deadline = time.monotonic() + args.max_seconds
    tallies = {"factorybot": Tally(), "bare": Tally()}
    round_p99: dict[str, list[float]] = {"factorybot": [], "bare": []}
    for name in tallies:
        send(builders[name], list(enumerate(warm)), concurrency=args.concurrency, rate=args.rate, tally=Tally(),
             deadline=deadline)
    per_round = -(-len(load) // args.rounds)
    for first in range(0, len(load), per_round):
        for name, tally in tallies.items():
            before = len(tally.latencies)
            chunk = list(enumerate(load))[first:first + per_round]
            send(builders[name], chunk, concurrency=args.concurrency, rate=args.rate, tally=tally, deadline=deadline)
            round_p99[name].append(pct(tally.latencies[before:], 99))
    stop(replicas)  # SIGTERM: each finishes the work it accepted after acknowledgements

    fig: dict[str, float] = {"requests": len(load), "concurrency": args.concurrency, "rate": args.rate,
                             "replicas": REPLICAS}
    for name, tally in tallies.items():
        prefix = "" if name == "factorybot" else "bare_"
        fig[f"{prefix}p50_ms"] = round(statistics.median(tally.latencies), 2) if tally.latencies else float("nan")
        fig[f"{prefix}p99_ms"] = round(pct(tally.latencies, 99), 2)
        fig[f"{prefix}errors"] = tally.errors
    fig["p99_ratio"] = round(fig["p99_ms"] / fig["bare_p99_ms"], 3)
    ratios = [a / b for a, b in zip(round_p99["factorybot"], round_p99["bare"])]
    fig["p99_ratio_median_of_rounds"] = round(statistics.median(ratios), 3)
    return fig, load, tallies["factorybot"]


def count_side_effects(db: Database, load: list[Request], tally: Tally, seen: dict) -> dict[str, float]:
    """Joins asked for and not refused as busy must be in the database once each; a refused one never."""
    refused = tally.refused | {tally.answer_keys[key] for key in seen["busy_keys"] if key in tally.answer_keys}
    expected = {r.joins for i, r in enumerate(load) if r.joins and i not in refused}
    asked = {r.joins for r in load if r.joins}
    found = joins_in_database(db)
    duplicated = sum(n - 1 for n in found.values())
    return {
        "errors_in_answers": seen["failed_answers"],
        "busy_answers": len(refused),
        "joins_expected": len(expected),
        "duplicated_side_effects": duplicated + seen["duplicated_invites"],
        "lost_side_effects": len(expected - set(found)),
        "unexpected_side_effects": len(set(found) - asked),
    }


def report(args: argparse.Namespace, fig: dict[str, float]) -> None:
    fig["errors"] += fig.pop("errors_in_answers")
    pace = f"{fig['rate']:g} started a second" if fig["rate"] else "each as soon as a worker is free"
    print(f"{fig['requests']} mixed requests ({pace}, at most {fig['concurrency']} in flight), round robin over "
          f"{fig['replicas']} replicas on PostgreSQL ({THREADS} threads each), {args.rounds} rounds")
    print(f"factorybot: p50 {fig['p50_ms']} ms, p99 {fig['p99_ms']} ms, errors {fig['errors']}, "
          f"answered busy {fig['busy_answers']}")
    print(f"bare Bolt:  p50 {fig['bare_p50_ms']} ms, p99 {fig['bare_p99_ms']} ms, errors {fig['bare_errors']}")
    print(f"p99 ratio {fig['p99_ratio']} (median of per-round ratios {fig['p99_ratio_median_of_rounds']})")
    print(f"joins: {fig['joins_expected']} done as asked; duplicated side effects {fig['duplicated_side_effects']}, "
          f"lost {fig['lost_side_effects']}, unexpected {fig['unexpected_side_effects']}")
    print(json.dumps({"benchmark": "load", **fig, "targets": {
        "errors": {"max": 0}, "duplicated_side_effects": {"max": 0}, "lost_side_effects": {"max": 0},
        "unexpected_side_effects": {"max": 0}, "p99_ratio": {"max": 2}}}))


if __name__ == "__main__":
    main()
