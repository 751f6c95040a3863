"""League throughput: how many matches per second the league hands out and records.

    .venv/bin/python -m bench.league_throughput          # writes bench/results/league_throughput.{json,md}

Rows (each: RequestMatch then ReportResult for one match, on a fresh store in a temp dir):
- store_full:     League methods in-process, SQLite synchronous=FULL (the service's setting)
- store_normal:   the same with synchronous=NORMAL (survives kill -9, not power loss): the fsync cost
- grpc_1_client:  over real gRPC on localhost with the token, one client thread
- grpc_4_clients: four client threads against one service
- full_league:    store_full with the `full` composition and 300 historical snapshots
  (matchmaking reads every player and the requester's payoff row on each request)
Ratios are against store_full. Each row runs for a fixed time; rows alternate in rounds so
load from other processes on the shared machine falls on all of them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import tempfile
import threading
import time

from league.client import LeagueClient
from league.config import LeagueConfig
from league.league import League
from league.players import Player, Role
from league.scoring import initial_rating
from league.service import LeagueServer
from league.store import LeagueStore

TOKEN = "bench-token"
OUTCOMES = ("win", "loss", "draw")


def make_league(tmp: str, synchronous: str = "FULL", config: LeagueConfig | None = None) -> League:
    config = config or LeagueConfig(main_bot_share=0.2)
    store = LeagueStore(os.path.join(tmp, "league.sqlite"), synchronous=synchronous)
    return League(store, config, os.path.join(tmp, "snapshots"))


def add_historical(league: League, count: int) -> None:
    learners = [p for p in league.store.players() if p.role.learning]
    entries = []
    for i in range(count):
        parent = learners[i % len(learners)]
        player = Player(f"{parent.player_id}@{i}", Role.HISTORICAL, parent.race, parent=parent.player_id, version=i)
        entries.append((player, initial_rating(player, league.config), False))
    league.store.add_players(entries)


def in_process(league: League):
    count = [0]

    def one():
        match = league.request_match("bench").match
        league.report_result(match.match_id, OUTCOMES[count[0] % 3], game_loops=100)
        count[0] += 1

    return one


def over_grpc(address: str, clients: int):
    pool = [LeagueClient(address, TOKEN) for _ in range(clients)]

    def one_batch():
        # one match per client thread, all at once
        def work(client):
            match = client.request_match("bench")
            client.report_result(match.match_id, "win", game_loops=100)

        threads = [threading.Thread(target=work, args=(c,)) for c in pool]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return clients

    return one_batch


def measure(rows: dict, seconds_per_round: float, rounds: int) -> dict:
    samples = {name: [] for name in rows}
    for _ in range(rounds):
        for name, fn in rows.items():
            done, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < seconds_per_round:
                done += fn() or 1
            samples[name].append(done / (time.perf_counter() - t0))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.0, help="seconds per row per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    parser.add_argument("--note", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        dirs = {name: os.path.join(tmp, name) for name in ("full", "normal", "grpc", "big")}
        full, normal = make_league(dirs["full"]), make_league(dirs["normal"], "NORMAL")
        served = make_league(dirs["grpc"])
        server = LeagueServer(served, "127.0.0.1:0", TOKEN).start()
        big_config = LeagueConfig(main_agents=3, main_exploiters=3, league_exploiters=6,
                                  races=["Terran", "Zerg", "Protoss"])
        big = make_league(dirs["big"], config=big_config)
        add_historical(big, 300)
        rows = {
            "store_full": in_process(full),
            "store_normal": in_process(normal),
            "grpc_1_client": over_grpc(server.address, 1),
            "grpc_4_clients": over_grpc(server.address, 4),
            "full_league": in_process(big),
        }
        rates = measure(rows, args.seconds, args.rounds)
        server.stop(grace=None)
        consistent = all(league.store.verify(league.rules) == [] for league in (full, normal, served, big))

    base = rates["store_full"]
    machine = {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    command = "python -m bench.league_throughput " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    result = {"command": command, "machine": machine, "note": args.note, "consistent_after": consistent,
              "matches_per_second": rates, "ratio_vs_store_full": {k: v / base for k, v in rates.items()}}
    lines = [f"{'row':<16} {'matches/s':>10} {'x store_full':>13}"]
    lines += [f"{name:<16} {rate:>10.1f} {rate / base:>13.2f}" for name, rate in rates.items()]
    print("\n".join(lines))
    print(f"stores consistent after the run: {consistent}")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "league_throughput.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "league_throughput.md"), "w") as f:
        f.write("# League throughput (RequestMatch + ReportResult per match)\n\n")
        f.write(f"Command: `{command}`  \nMachine: {json.dumps(machine)}\n\n")
        if args.note:
            f.write(args.note + "\n\n")
        f.write("| row | matches / s | x store_full |\n|---|---:|---:|\n")
        for name, rate in rates.items():
            f.write(f"| {name} | {rate:.1f} | {rate / base:.2f} |\n")
        f.write(f"\nStores consistent after the run (payoff and ratings replay): {consistent}\n")
    return 0 if consistent else 1


if __name__ == "__main__":
    sys.exit(main())
