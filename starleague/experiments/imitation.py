"""`starleague experiment imitation`: behaviour cloning from a built-in bot, evaluated against the ladder.

AlphaStar's supervised stage with a scripted teacher (agent.demonstration, agent.imitation):
  1. demonstrations: `games` games of the teacher level against each opponent level, played
     through the policy's action interface (runs/experiments/imitation/demos; files already
     there are reused on --resume);
  2. training: `steps` behaviour-cloning steps on all but every tenth episode (held out for the
     validation loss), checkpointed every `checkpoint_every` steps (parameters as safetensors,
     Adam's state through torch.save / torch.load(weights_only=True)); --resume continues;
  3. evaluation: the cloned policy (sampling, as an actor does) and the untrained one against
     the `bots` levels with starleague.evaluate, as `starleague experiment vs-bots` does.
The cloned policy is written to runs/experiments/imitation/policy.safetensors: a league starts
from it with `--set learner.initial_params=<that file>` (and the same model settings).

A DAgger round (agent.dagger) is the same experiment with `student` (an earlier clone that takes
over `student_share` of its decisions in the recorded games, the teacher labelling every step),
`aggregate` (the earlier rounds' demonstration folders, trained on as well) and usually
`initial_params` (training continues from that clone).
Results: bench/results/experiments/imitation/ (results.json, table.md, loss.svg).
"""

from __future__ import annotations

import glob
import json
import os
from typing import Any, Callable, Optional, Sequence

from starleague.experiments import plots, readme, records, tables

EXPERIMENT = "imitation"
DEFAULT_OVERRIDES = ("model.max_selected_units=16",)
HELD_OUT_EVERY = 10  # every tenth episode is validation data
# evaluation cell -> whether it plays greedily: sampled as an actor samples, and the most likely
# choice of every head (a clone played greedily does not re-add its rare mistakes at every step)
EVALUATIONS = {"evaluation": False, "greedy_evaluation": True}


def _env_settings(env_config) -> dict[str, Any]:
    return {"backend": env_config.backend, "map": env_config.map, "step_mul": env_config.step_mul,
            "game_loop_limit": env_config.game_loop_limit}


def record_demonstrations(cell: dict[str, Any], demos_dir: str, teacher: str, opponents: Sequence[str], games: int,
                          spec, env_config, seed: int, log: Callable[[str], None],
                          student: Optional[str] = None, student_share: float = 0.0) -> None:
    from agent.demonstration import record_games

    new_student = None
    if student:
        from agent.dagger import Student
        from starleague.evaluate import load_policy, resolve_snapshots

        student_policy = load_policy(resolve_snapshots(student)[0])
        if student_policy.spec.shapes() != spec.shapes():
            raise ValueError(f"the student {student} was built with other model settings than this experiment's")

        def new_student(game_seed: int) -> Student:
            return Student(student_policy, student_share, seed=game_seed)

    summary = record_games(demos_dir, teacher, list(opponents), games, spec, _env_settings(env_config), seed, log,
                           new_student=new_student)
    wins = sum(g["outcome"] == "WIN" for g in summary["games"])
    cell.update(status="done", games=summary["games"], teacher_stats=summary["stats"],
                teacher_win_rate=wins / max(len(summary["games"]), 1))


def _save_params(policy, path: str, model: dict[str, Any], version: str) -> None:
    from agent import snapshot

    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(snapshot.encode_snapshot(policy.state_dict(), {"player_id": "imitation", "version": version,
                                                               "model_config": json.dumps(model, sort_keys=True)}))
    os.replace(tmp, path)


def train_policy(state: records.ExperimentState, cell: dict[str, Any], run_dir: str, model: dict[str, Any],
                 episodes: list, held_out: list, steps: int, checkpoint_every: int, batch_size: int,
                 unroll_length: int, learning_rate: float, seed: int, log: Callable[[str], None],
                 initial_params: Optional[str] = None) -> str:
    """Behaviour cloning to `steps` (resuming from the last checkpoint, else starting from
    `initial_params` or random parameters); returns the policy file.

    A resumed run restores the parameters and Adam's state; the lanes start over (same seed), so it
    sees the episodes in another order than an uninterrupted run would.
    """
    import torch

    from agent import imitation, snapshot
    from agent.model.config import ModelConfig
    from agent.model.policy import build_policy

    torch.manual_seed(seed)
    policy = build_policy(ModelConfig(**model))
    trainer = imitation.BehaviourCloning(policy, episodes, batch_size, unroll_length, learning_rate, seed=seed)
    params_path = os.path.join(run_dir, "training.safetensors")
    optimizer_path = os.path.join(run_dir, "training-optimizer.pt")
    done = int(cell.get("steps", 0))
    if done and os.path.exists(params_path) and os.path.exists(optimizer_path):
        with open(params_path, "rb") as f:
            policy.load_state_dict(snapshot.decode_snapshot(f.read()))
        trainer.optimizer.load_state_dict(torch.load(optimizer_path, map_location="cpu", weights_only=True))
        log(f"imitation: resuming behaviour cloning at step {done}")
    else:
        done = 0
        if initial_params:
            try:
                with open(initial_params, "rb") as f:
                    policy.load_state_dict(snapshot.decode_snapshot(f.read()))
            except (OSError, snapshot.SnapshotError, RuntimeError) as error:  # RuntimeError: another model
                raise ValueError(f"--initial-params {initial_params}: not a snapshot of this model ({error})") from None
            log(f"imitation: training starts from {initial_params}")
        cell.update(curve=[], validation=[])
        cell["validation"].append({"step": 0, **imitation.evaluate_nll(policy, held_out, unroll_length)})
    window: list[dict[str, float]] = []
    while done < steps:
        metrics = trainer.step()
        done += 1
        window.append(metrics)
        checkpoint = done % checkpoint_every == 0 or done == steps
        if done % 10 == 0 or checkpoint:
            cell["curve"].append({"step": done, "loss": sum(m["loss/imitation"] for m in window) / len(window)})
            window = []
        if checkpoint:
            validation = imitation.evaluate_nll(policy, held_out, unroll_length)
            cell["validation"].append({"step": done, **validation})
            _save_params(policy, params_path, model, str(done))
            torch.save(trainer.optimizer.state_dict(), optimizer_path)
            state.update("training", steps=done)
            log(f"imitation: step {done}/{steps}: training loss {cell['curve'][-1]['loss']:.3f}, held-out loss "
                f"{validation['loss/imitation']:.3f}, action type right (p > 0.5) "
                f"{validation['accuracy/action_type>0.5']:.0%}")
    policy_path = os.path.join(run_dir, "policy.safetensors")
    _save_params(policy, policy_path, model, str(done))
    state.update("training", status="done", steps=done)
    return policy_path


def run(teacher: str = "Medium", opponents: Sequence[str] = ("VeryEasy", "Easy"), games: int = 40,
        steps: int = 2000, checkpoint_every: int = 200, batch_size: int = 8, unroll_length: int = 32,
        learning_rate: float = 5e-4, eval_games: int = 20, bots: Sequence[str] = ("VeryEasy", "Easy"),
        overrides: Sequence[str] = DEFAULT_OVERRIDES, seed: int = 0, student: Optional[str] = None,
        student_share: float = 0.5, aggregate: Sequence[str] = (), initial_params: Optional[str] = None,
        resume: bool = False, results_dir: Optional[str] = None, runs_dir: Optional[str] = None,
        argv: Optional[list[str]] = None, log: Callable[[str], None] = print) -> dict[str, Any]:
    from agent.demonstration import EPISODE_SUFFIX, load_episode
    from agent.features import FeatureSpec
    from agent.model.config import ModelConfig
    from agent.model.policy import build_policy
    from starleague.config import build_config, to_dict
    from starleague.experiments.vs_bots import evaluate_checkpoint

    results_dir = results_dir or os.path.join(records.RESULTS_ROOT, EXPERIMENT)
    run_dir = os.path.abspath(runs_dir or os.path.join(records.RUNS_ROOT, EXPERIMENT))
    settings = {"teacher": teacher, "opponents": list(opponents), "games": games, "steps": steps,
                "checkpoint_every": checkpoint_every, "batch_size": batch_size, "unroll_length": unroll_length,
                "learning_rate": learning_rate, "eval_games": eval_games, "bots": list(bots),
                "overrides": list(overrides), "preset": "tiny", "seed": seed}
    # A DAgger round's settings are recorded only when given, so a state.json from before they
    # existed still resumes (a missing key and an unset option compare equal).
    settings.update({k: v for k, v in (("student", student), ("student_share", student_share if student else None),
                                       ("aggregate", list(aggregate)), ("initial_params", initial_params)) if v})
    state = records.ExperimentState(results_dir, EXPERIMENT, settings, resume,
                                    fixed=("teacher", "opponents", "games", "overrides", "preset", "seed",
                                           "batch_size", "unroll_length", "student", "student_share", "aggregate",
                                           "initial_params"))
    state.begin(argv)
    config = build_config("tiny", list(overrides))
    model = to_dict(config.model)
    spec = FeatureSpec(ModelConfig(**model))
    demos_dir = os.path.join(run_dir, "demos")
    os.makedirs(run_dir, exist_ok=True)

    demos = state.cell("demonstrations")
    if demos["status"] != "done":
        for stale in glob.glob(os.path.join(demos_dir, f"*{EPISODE_SUFFIX}")):
            os.remove(stale)  # a half-recorded set is recorded again: the games are seeded
        with_student = f", a student ({student}) taking {student_share:.0%} of its decisions" if student else ""
        log(f"imitation: recording {games} games of {teacher} against each of {', '.join(opponents)}{with_student}")
        record_demonstrations(demos, demos_dir, teacher, opponents, games, spec, config.env, seed, log,
                              student=student, student_share=student_share)
        state.save()
    paths = [os.path.join(demos_dir, g["file"]) for g in demos["games"]]
    for folder in aggregate:
        earlier = sorted(glob.glob(os.path.join(folder, f"*{EPISODE_SUFFIX}")))
        if not earlier:
            raise ValueError(f"--aggregate {folder}: no demonstrations (*{EPISODE_SUFFIX}) there")
        paths += earlier
    episodes = [load_episode(p, spec) for p in paths]
    train_set = [e for i, e in enumerate(episodes) if i % HELD_OUT_EVERY != HELD_OUT_EVERY - 1]
    held_out = [e for i, e in enumerate(episodes) if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1] or episodes[-1:]
    log(f"imitation: {len(train_set)} training episodes ({sum(e.length for e in train_set)} decisions), "
        f"{len(held_out)} held out")

    training = state.cell("training", steps=0)
    policy_path = os.path.join(run_dir, "policy.safetensors")
    if training["status"] != "done" or int(training.get("steps", 0)) < steps or not os.path.exists(policy_path):
        policy_path = train_policy(state, training, run_dir, model, train_set, held_out, steps, checkpoint_every,
                                   batch_size, unroll_length, learning_rate, seed, log, initial_params)
        for name in EVALUATIONS:
            if name in state.data["cells"]:
                state.update(name, status="pending")  # a longer training is evaluated again

    pending = {name: greedy for name, greedy in EVALUATIONS.items() if state.cell(name)["status"] != "done"}
    untrained_path = os.path.join(run_dir, "untrained.safetensors")
    if pending:  # written afresh, as the model config may differ from an earlier run in this folder
        import torch

        torch.manual_seed(seed)
        _save_params(build_policy(ModelConfig(**model)), untrained_path, model, "0")
    for name, greedy in pending.items():
        how = "greedy" if greedy else "sampled"
        log(f"imitation: evaluating the cloned policy ({how}) against {', '.join(bots)} x {eval_games}")
        cloned = evaluate_checkpoint(policy_path, bots, eval_games, config.env, seed=700_000_000, greedy=greedy)
        log(f"imitation: evaluating the untrained policy ({how}) against {', '.join(bots)} x {eval_games}")
        untrained = evaluate_checkpoint(untrained_path, bots, eval_games, config.env, seed=700_000_000, greedy=greedy)
        state.update(name, status="done", cloned=cloned, untrained=untrained, policy=policy_path)
    return write_report(state, bots, results_dir, echo=True)


def write_report(state: records.ExperimentState, bots: Sequence[str], results_dir: str,
                 echo: bool = False) -> dict[str, Any]:
    cells = state.data["cells"]
    settings = state.data["settings"]
    demos, training = (cells.get(k, {}) for k in ("demonstrations", "training"))
    rows = []
    for name, greedy in EVALUATIONS.items():
        evaluation = cells.get(name, {})
        if evaluation.get("status") == "done":
            how = ", greedy" if greedy else ""
            rows.append({**evaluation["untrained"], "label": f"untrained (random parameters){how}", "steps": 0})
            dagger = ", DAgger round" if settings.get("student") else ""
            rows.append({**evaluation["cloned"], "label": f"cloned from {settings['teacher']}{dagger}{how}",
                         "steps": int(training.get("steps", 0))})
    table = tables.policy_win_rate_table(rows, bots) if rows else "Not evaluated yet.\n"
    curve = training.get("curve", [])
    validation = training.get("validation", [])
    if curve:
        series = [("training loss (mean over up to 10 steps)", [c["step"] for c in curve], [c["loss"] for c in curve])]
        if validation:
            series.append(("held-out loss", [v["step"] for v in validation], [v["loss/imitation"] for v in validation]))
        records.write_text(os.path.join(results_dir, "loss.svg"), plots.line_chart(
            series, "behaviour cloning: -log pi(teacher's action), summed over the heads used", "step", "loss"))
    stats = demos.get("teacher_stats", {})
    last = validation[-1] if validation else {}
    decisions = sum(g["decisions"] for g in demos.get("games", []))
    who = settings["teacher"]
    dagger = ""
    if settings.get("student"):  # a DAgger round
        who = f"{settings['teacher']} and the student"
        dagger = (f"DAgger round: the student `{settings['student']}` took over {settings['student_share']:.0%} "
                  f"of its decisions in these games, {settings['teacher']} labelling every step (labels given "
                  f"while the student played: {stats.get('deferred', 0)}). ")
    if settings.get("aggregate"):
        dagger += f"Trained on these and the demonstrations in {', '.join(settings['aggregate'])}. "
    if settings.get("initial_params"):
        dagger += f"Training started from `{settings['initial_params']}`. "
    dagger_paragraph = f"{dagger.strip()}\n\n" if dagger else ""
    text = (f"# Behaviour cloning from the built-in {settings['teacher']} bot (Simple64, tiny preset)\n\n"
            f"Demonstrations: {len(demos.get('games', []))} games of {settings['teacher']} against "
            f"{', '.join(settings['opponents'])} ({decisions} decisions), played through the policy's action "
            f"interface; {who} won {demos.get('teacher_win_rate', 0.0):.0%} of them. Bot commands: "
            f"{stats.get('bot_commands', 0)}, actions sent: {stats.get('executed', 0)}, dropped: "
            f"{stats.get('dropped', {})}.\n\n{dagger_paragraph}"
            f"Training: {training.get('steps', 0)} steps of {settings['batch_size']} x {settings['unroll_length']} "
            f"decisions; held-out loss {last.get('loss/imitation', float('nan')):.3f} (action type right with "
            f"p > 0.5 in {last.get('accuracy/action_type>0.5', 0.0):.0%} of held-out decisions).\n\n"
            f"Win rate [95% Wilson interval] per bot level (draws count half), sampling actions as an actor does, "
            f"or (greedy) playing the most likely choice of every head:\n\n"
            f"{table}\n" +
            state.invocations_line())
    records.write_text(os.path.join(results_dir, "table.md"), text)
    summary = {"experiment": EXPERIMENT, "settings": settings, "invocations": state.data["invocations"],
               "demonstrations": {k: v for k, v in demos.items() if k != "games"},
               "games": demos.get("games", []), "training": training,
               **{name: cells.get(name, {}) for name in EVALUATIONS}}
    records.write_json(os.path.join(results_dir, "results.json"), summary)
    readme.write_readme(os.path.dirname(os.path.abspath(results_dir)))
    if echo:
        print(table)
    return summary
