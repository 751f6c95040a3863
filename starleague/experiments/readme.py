"""bench/results/experiments/README.md: every experiment's table and plots on one page.

Rebuilt after each experiment reports, from the files the experiments wrote (table.md,
*.svg) plus a hand-written findings.md when one exists, so the page never shows a number
that is not in the committed results.
"""

from __future__ import annotations

import glob
import os

from starleague.experiments import records

EXPERIMENTS = (("minigames-entropy-shards", "CollectMineralShards with the entropy cost annealed to 0 from minute 10 "
                                            "to 35 and the learning rate from minute 35 to 45 (fourteenth sitting)"),
               ("minigames-entropy-beacon", "MoveToBeacon with the entropy cost annealed to 0 from minute 10 to 30 and "
                                            "the learning rate from minute 30 to 35 (fourteenth sitting)"),
               ("minigames-warmdown-shards", "CollectMineralShards with the learning rate held for 35 minutes, "
                                           "then annealed to 0 over the last 10 (thirteenth sitting)"),
               ("minigames-anneal-shards", "CollectMineralShards with the learning rate annealed to 0 over the "
                                         "45 minutes (thirteenth sitting)"),
               ("minigames-anneal-beacon", "MoveToBeacon with the nearness term, the time sinusoids and the "
                                           "learning rate annealed to 0 over the 35 minutes (thirteenth sitting)"),
               ("minigames-timeenc-shards", "CollectMineralShards with the nearness term and the game time's "
                                          "sinusoids (twelfth sitting)"),
               ("minigames-nearness-shards", "CollectMineralShards with the target pointer's nearness term (twelfth "
                                             "sitting; the training return fell after 27 minutes)"),
               ("minigames-realmap", "MoveToBeacon on the real map's regions (eleventh sitting)"),
               ("minigames-realmap-shards", "CollectMineralShards on the real map's regions (eleventh sitting)"),
               ("minigames", "Mini-games, third sitting (MoveToBeacon and CollectMineralShards on the 24 x 24 arena "
                             "used before the real maps' regions)"),
               ("minigames-select16", "DefeatRoaches with 16-unit selection (sixth sitting; now the default)"),
               ("minigames-buildmarines", "BuildMarines with the delay head and discount 0.999 (sixth sitting; now "
                                          "the default)"),
               ("minigames-shards64", "CollectMineralShards on a 64 x 64 target grid (seventh sitting, 24 x 24 arena)"),
               ("minigames-beacon-norm", "MoveToBeacon with the layer-normalised core and the current defaults "
                                         "(tenth sitting, 24 x 24 arena)"),
               ("minigames-long", "Mini-games trained longer (fourth sitting; DefeatRoaches with 4-unit selection)"),
               ("minigames-arena56", "Mini-games, second sitting (old 56 x 56 arena: not comparable with the paper)"),
               ("minigames-delay16", "Mini-games, first sitting (old arena, 16-choice delay head)"),
               ("vs-bots", "Against the built-in bots"),
               ("vs-bots-select16", "Against the built-in bots, 16-unit selection (seventh sitting; stopped after 20 "
                                     "of 80 minutes for the score-reward run)"),
               ("vs-bots-score", "Against the built-in bots, 16-unit selection and the score pseudo-reward "
                                 "(seventh sitting)"),
               ("imitation", "Behaviour cloning from the built-in Medium bot (eighth sitting)"),
               ("imitation-long", "Behaviour cloning from the Medium bot, 100 games per opponent (eighth sitting)"),
               ("vs-bots-cloned", "Against the built-in bots, starting from the behaviour-cloned policy with the KL "
                                  "towards it (ninth sitting)"),
               ("vs-bots-core-norm", "Against the built-in bots from scratch, with the layer-normalised core and "
                                     "greedy evaluation (ninth sitting)"),
               ("vs-bots-cloned-ladder", "From the behaviour-cloned policy, every game against the bots, KL 1.0 "
                                         "towards the clone, no exploiter (tenth sitting)"),
               ("vs-bots-cloned-noentropy", "From the behaviour-cloned policy, every game against the bots, KL "
                                            "1.0, no entropy bonus, learning rate 1e-4 (tenth sitting)"),
               ("imitation-dagger", "Behaviour cloning, one DAgger round from the first clone (tenth sitting)"),
               ("vs-bots-2026-11-25", "Against the built-in bots, first sitting (old bots: that VeryEasy built nothing; "
                                      "the league's default bot share and discount)"),
               ("replay-ablation", "Replay x off-policy correction"),
               ("replay-ablation-15k", "Replay x off-policy correction, first sitting (15K frames a cell, agent "
                                       "deciding its own delay: too short to learn)"))
COMMANDS = {
    "minigames": "starleague experiment minigames --minutes-per-game 120 --eval-episodes 100",
    "minigames-select16": ("starleague experiment minigames --games DefeatRoaches --minutes-per-game 90 "
                           "--eval-episodes 100 --untrained-episodes 100 --results-dir "
                           "bench/results/experiments/minigames-select16 "
                           "--runs-dir runs/experiments/minigames-select16 "
                           "--set actor.envs_per_actor=16 --set learner.checkpoint_every_seconds=60 "
                           "--set model.max_delay=1 --set model.max_selected_units=16"),
    "minigames-buildmarines": ("starleague experiment minigames --games BuildMarines --minutes-per-game 60 "
                               "--eval-episodes 100 --untrained-episodes 20 --results-dir "
                               "bench/results/experiments/minigames-buildmarines --runs-dir "
                               "runs/experiments/minigames-buildmarines --set actor.envs_per_actor=16 "
                               "--set learner.checkpoint_every_seconds=60 --set model.max_delay=16 "
                               "--set rl.discount=0.999"),
    "minigames-shards64": ("starleague experiment minigames --games CollectMineralShards --minutes-per-game 90 "
                           "--eval-episodes 100 --untrained-episodes 20 --results-dir "
                           "bench/results/experiments/minigames-shards64 --runs-dir runs/experiments/minigames-shards64 "
                           "--set actor.envs_per_actor=16 --set learner.checkpoint_every_seconds=60 "
                           "--set model.max_delay=1 --set learner.max_policy_lag=16 --set model.spatial_size=64"),
    "minigames-realmap": ("starleague experiment minigames --games MoveToBeacon --minutes-per-game 35 "
                          "--eval-episodes 100 --untrained-episodes 20 --results-dir "
                          "bench/results/experiments/minigames-realmap --runs-dir runs/experiments/minigames-realmap"
                          ", then the same with --minutes-per-game 60 --resume"),
    "minigames-entropy-shards": ("starleague experiment minigames --games CollectMineralShards "
                                 "--minutes-per-game 45 --eval-episodes 100 --untrained-episodes 20 --greedy-eval "
                                 "--results-dir bench/results/experiments/minigames-entropy-shards "
                                 "--runs-dir runs/experiments/minigames-entropy-shards "
                                 "--set actor.envs_per_actor=16 --set learner.checkpoint_every_seconds=60 "
                                 "--set model.max_delay=1 --set learner.max_policy_lag=16 "
                                 "--set learner.entropy_cost_anneal_seconds=2100 "
                                 "--set learner.entropy_cost_anneal_start_seconds=600 "
                                 "--set learner.learning_rate_anneal_seconds=2700 "
                                 "--set learner.learning_rate_anneal_start_seconds=2100"),
    "minigames-entropy-beacon": ("starleague experiment minigames --games MoveToBeacon "
                                 "--minutes-per-game 35 --eval-episodes 100 --untrained-episodes 20 --greedy-eval "
                                 "--results-dir bench/results/experiments/minigames-entropy-beacon "
                                 "--runs-dir runs/experiments/minigames-entropy-beacon "
                                 "--set actor.envs_per_actor=16 --set learner.checkpoint_every_seconds=60 "
                                 "--set model.max_delay=1 --set learner.max_policy_lag=16 "
                                 "--set learner.entropy_cost_anneal_seconds=1800 "
                                 "--set learner.entropy_cost_anneal_start_seconds=600 "
                                 "--set learner.learning_rate_anneal_seconds=2100 "
                                 "--set learner.learning_rate_anneal_start_seconds=1800"),
    "minigames-warmdown-shards": ("starleague experiment minigames --games CollectMineralShards "
                                  "--minutes-per-game 45 --eval-episodes 100 --untrained-episodes 20 --results-dir "
                                  "bench/results/experiments/minigames-warmdown-shards "
                                  "--runs-dir runs/experiments/minigames-warmdown-shards "
                                  "--set actor.envs_per_actor=16 --set learner.checkpoint_every_seconds=60 "
                                  "--set model.max_delay=1 --set learner.max_policy_lag=16 "
                                  "--set learner.learning_rate_anneal_seconds=2700 "
                                  "--set learner.learning_rate_anneal_start_seconds=2100"),
    "minigames-anneal-shards": ("starleague experiment minigames --games CollectMineralShards "
                                "--minutes-per-game 45 --eval-episodes 100 --untrained-episodes 20 --results-dir "
                                "bench/results/experiments/minigames-anneal-shards "
                                "--runs-dir runs/experiments/minigames-anneal-shards "
                                "--set actor.envs_per_actor=16 --set learner.checkpoint_every_seconds=60 "
                                "--set model.max_delay=1 "
                                "--set learner.max_policy_lag=16 --set learner.learning_rate_anneal_seconds=2700"),
    "minigames-anneal-beacon": ("starleague experiment minigames --games MoveToBeacon "
                                "--minutes-per-game 35 --eval-episodes 100 --untrained-episodes 20 --results-dir "
                                "bench/results/experiments/minigames-anneal-beacon "
                                "--runs-dir runs/experiments/minigames-anneal-beacon "
                                "--set actor.envs_per_actor=16 --set learner.checkpoint_every_seconds=60 "
                                "--set model.max_delay=1 "
                                "--set learner.max_policy_lag=16 --set learner.learning_rate_anneal_seconds=2100"),
    "minigames-timeenc-shards": ("starleague experiment minigames --games CollectMineralShards "
                                 "--minutes-per-game 45 --eval-episodes 100 --untrained-episodes 20 --results-dir "
                                 "bench/results/experiments/minigames-timeenc-shards "
                                 "--runs-dir runs/experiments/minigames-timeenc-shards, then the same with "
                                 "--minutes-per-game 75 --resume"),
    "minigames-nearness-shards": ("starleague experiment minigames --games CollectMineralShards "
                                  "--minutes-per-game 45 --eval-episodes 100 --untrained-episodes 20 --results-dir "
                                  "bench/results/experiments/minigames-nearness-shards "
                                  "--runs-dir runs/experiments/minigames-nearness-shards"),
    "minigames-realmap-shards": ("starleague experiment minigames --games CollectMineralShards --minutes-per-game 65 "
                                 "--eval-episodes 100 --untrained-episodes 20 --results-dir "
                                 "bench/results/experiments/minigames-realmap-shards "
                                 "--runs-dir runs/experiments/minigames-realmap-shards"),
    "minigames-beacon-norm": ("starleague experiment minigames --games MoveToBeacon --minutes-per-game 35 "
                              "--eval-episodes 100 --untrained-episodes 20 --results-dir "
                              "bench/results/experiments/minigames-beacon-norm "
                              "--runs-dir runs/experiments/minigames-beacon-norm"),
    "minigames-long": ("starleague experiment minigames --games DefeatRoaches --minutes-per-game 30 "
                       "--eval-episodes 100 --untrained-episodes 20 --results-dir bench/results/experiments/minigames-long "
                       "--runs-dir runs/experiments/minigames-long"),
    "minigames-arena56": ("starleague experiment minigames --games MoveToBeacon --minutes-per-game 45 "
                          "--eval-episodes 100 --results-dir bench/results/experiments/minigames-arena56"),
    "minigames-delay16": ("starleague experiment minigames --games MoveToBeacon,CollectMineralShards "
                          "--minutes-per-game 50 --results-dir bench/results/experiments/minigames-delay16 "
                          "--set actor.envs_per_actor=16 --set learner.checkpoint_every_seconds=60 --resume"),
    "vs-bots": "starleague experiment vs-bots --minutes 180",
    "vs-bots-select16": ("starleague experiment vs-bots --minutes 80 --eval-every 20 --eval-games 20 --actors 2 "
                         "--results-dir bench/results/experiments/vs-bots-select16 "
                         "--runs-dir runs/experiments/vs-bots-select16 --set league.main_exploiters=1 "
                         "--set learner.checkpoint_every_seconds=60 --set league.bots=VeryEasy,Easy "
                         "--set league.main_bot_share=0.5 --set league.bot_weighting=hard --set rl.discount=0.999 "
                         "--set model.max_selected_units=16"),
    "vs-bots-score": ("starleague experiment vs-bots --minutes 60 --eval-every 20 --eval-games 20 --actors 2 "
                      "--results-dir bench/results/experiments/vs-bots-score --runs-dir runs/experiments/vs-bots-score "
                      "--set league.main_exploiters=1 --set learner.checkpoint_every_seconds=60 "
                      "--set league.bots=VeryEasy,Easy --set league.main_bot_share=0.5 --set league.bot_weighting=hard "
                      "--set rl.discount=0.999 --set model.max_selected_units=16 --set rl.score_reward_scale=0.0001"),
    "imitation": ("starleague experiment imitation --teacher Medium --opponents VeryEasy,Easy --games 40 --steps 2500 "
                  "--checkpoint-every 250 --eval-games 20"),
    "imitation-long": ("starleague experiment imitation --teacher Medium --opponents VeryEasy,Easy --games 100 "
                       "--steps 3000 --checkpoint-every 500 --eval-games 20 --results-dir "
                       "bench/results/experiments/imitation-long --runs-dir runs/experiments/imitation-long"),
    "vs-bots-cloned": ("starleague experiment vs-bots --minutes 40 --eval-every 15 --eval-games 20 --actors 2 "
                       "--greedy-eval "
                       "--results-dir bench/results/experiments/vs-bots-cloned --runs-dir runs/experiments/vs-bots-cloned "
                       "--set league.main_exploiters=1 --set learner.checkpoint_every_seconds=60 "
                       "--set league.bots=VeryEasy,Easy --set league.main_bot_share=0.5 --set league.bot_weighting=hard "
                       "--set rl.discount=0.999 --set model.max_selected_units=16 "
                       "--set learner.initial_params=runs/experiments/imitation/policy.safetensors "
                       "--set rl.teacher_kl_cost=0.1"),
    "vs-bots-core-norm": ("starleague experiment vs-bots --minutes 30 --eval-every 15 --eval-games 20 --actors 2 "
                          "--greedy-eval --results-dir bench/results/experiments/vs-bots-core-norm "
                          "--runs-dir runs/experiments/vs-bots-core-norm --set league.main_exploiters=1 "
                          "--set learner.checkpoint_every_seconds=60 --set league.bots=VeryEasy,Easy "
                          "--set league.main_bot_share=0.5 --set league.bot_weighting=hard --set rl.discount=0.999 "
                          "--set model.max_selected_units=16"),
    "vs-bots-cloned-ladder": ("starleague experiment vs-bots --minutes 45 --eval-every 15 --eval-games 20 --actors 2 "
                              "--greedy-eval --results-dir bench/results/experiments/vs-bots-cloned-ladder "
                              "--runs-dir runs/experiments/vs-bots-cloned-ladder --set league.main_exploiters=0 "
                              "--set learner.checkpoint_every_seconds=60 --set league.bots=VeryEasy,Easy "
                              "--set league.main_bot_share=1.0 --set league.bot_weighting=hard "
                              "--set rl.discount=0.999 --set model.max_selected_units=16 "
                              "--set learner.initial_params=runs/experiments/imitation/policy.safetensors "
                              "--set rl.teacher_kl_cost=1.0"),
    "vs-bots-cloned-noentropy": ("starleague experiment vs-bots --minutes 30 --eval-every 15 --eval-games 20 "
                                 "--actors 2 --greedy-eval --results-dir bench/results/experiments/vs-bots-cloned-noentropy "
                                 "--runs-dir runs/experiments/vs-bots-cloned-noentropy --set league.main_exploiters=0 "
                                 "--set learner.checkpoint_every_seconds=60 --set league.bots=VeryEasy,Easy "
                                 "--set league.main_bot_share=1.0 --set league.bot_weighting=hard "
                                 "--set rl.discount=0.999 --set model.max_selected_units=16 "
                                 "--set learner.initial_params=runs/experiments/imitation/policy.safetensors "
                                 "--set rl.teacher_kl_cost=1.0 --set rl.entropy_cost=0 "
                                 "--set learner.learning_rate=0.0001"),
    "imitation-dagger": ("starleague experiment imitation --teacher Medium --opponents VeryEasy,Easy --games 30 "
                         "--steps 1000 --checkpoint-every 250 --eval-games 20 --seed 5000 "
                         "--student runs/experiments/imitation/policy.safetensors --student-share 0.5 "
                         "--aggregate runs/experiments/imitation/demos "
                         "--initial-params runs/experiments/imitation/policy.safetensors "
                         "--results-dir bench/results/experiments/imitation-dagger "
                         "--runs-dir runs/experiments/imitation-dagger"),
    "vs-bots-2026-11-25": ("starleague experiment vs-bots --minutes 30 --eval-every 15 --eval-games 4 --actors 2 "
                           "--set league.main_exploiters=1 --set learner.checkpoint_every_seconds=60"),
    "replay-ablation": ("starleague experiment replay-ablation --tasks MoveToBeacon,CollectMineralShards,"
                        "DefeatZerglingsAndBanelings --seeds 3 --frames 40000 --parallel 2"),
    "replay-ablation-15k": ("starleague experiment replay-ablation --tasks MoveToBeacon,CollectMineralShards,DefeatRoaches "
                            "--seeds 3 --frames 15000 --final-episodes 20 --parallel 3 "
                            "--results-dir bench/results/experiments/replay-ablation-15k"),
}


def write_readme(root: str = records.RESULTS_ROOT) -> str:
    parts = ["# Learning results\n",
             "Produced by `starleague experiment ...` (add `--resume` to continue a stopped run). Each folder holds "
             "`state.json` (resume state), `results.json` (numbers, command, git commit, machine), `table.md` and "
             "the plots. Only what is in those files is shown here.\n"]
    findings = os.path.join(root, "findings.md")
    if os.path.exists(findings):
        with open(findings) as f:
            parts.append(f.read().strip() + "\n")
    for folder, title in EXPERIMENTS:
        table = os.path.join(root, folder, "table.md")
        parts.append(f"## {title}\n\nFull run: `{COMMANDS[folder]}`\n")
        if not os.path.exists(table):
            parts.append("Not run yet.\n")
            continue
        with open(table) as f:
            body = f.read().strip().splitlines()
        # The table file's own title becomes a sub-heading.
        body = [("###" + line[1:]) if line.startswith("# ") else line for line in body]
        parts.append("\n".join(body) + "\n")
        for svg in sorted(glob.glob(os.path.join(root, folder, "*.svg"))):
            name = os.path.basename(svg)
            parts.append(f"![{name}]({folder}/{name})\n")
    text = "\n".join(parts)
    records.write_text(os.path.join(root, "README.md"), text)
    return text
