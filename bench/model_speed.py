"""Policy speed: actor-side inference and feature encoding, learner forward+backward.

    .venv/bin/python -m bench.model_speed            # writes bench/results/model_speed.{json,md}
    .venv/bin/python -m bench.model_speed --quick    # shorter timings, nothing written

Actor side: `Policy.sample` steps/s for the tiny preset on ONE CPU thread at batch 1, 8
and 32, with features precomputed, and separately `FeatureSpec.encode` time per
observation (synthetic 100-unit observations, agent.model.synthetic), so the two can be
read side by side. Learner side: `Policy.evaluate` + backward samples/s (T*B per second)
for each preset at its own input sizes, on CPU here (a CUDA device is used too when one
is present). bf16 autocast and torch.compile are GPU options and are not measured on CPU.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import subprocess

import torch

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
# Learner shapes per preset: tiny at the tiny run preset's [T=32, B=8]; the big ones
# smaller so a CPU run finishes (samples/s is what is compared).
LEARNER_SHAPES = {"tiny": (32, 8), "base": (8, 4), "alphastar": (2, 2)}


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "torch": torch.__version__, "commit": commit,
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        # The machine is shared: the 1-minute load average says how contended the run was.
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def run(seconds: float) -> dict:
    from agent.features import FeatureSpec
    from agent.model.measure import (
        encode_seconds_per_observation, inference_steps_per_second, parameter_counts, train_samples_per_second,
    )
    from agent.model.policy import build_policy
    from agent.model.presets import MODEL_PRESETS, preset_config

    torch.set_num_threads(1)
    torch.manual_seed(0)
    config = preset_config("tiny")
    spec = FeatureSpec(config)
    policy = build_policy(config, spec).eval()
    encode = encode_seconds_per_observation(spec, min_seconds=seconds)
    actor = []
    for batch in (1, 8, 32):
        rate = inference_steps_per_second(policy, batch, "cpu", seconds)
        # An actor step = encode every env's observation + one batched sample.
        with_features = 1.0 / (1.0 / rate.cpu + encode.cpu)
        actor.append({"batch": batch, "inference_steps_per_s_wall": round(rate.wall, 1),
                      "inference_steps_per_cpu_s": round(rate.cpu, 1),
                      "encode_us_per_obs_wall": round(encode.wall * 1e6, 1), "encode_us_per_obs_cpu": round(encode.cpu * 1e6, 1),
                      "steps_per_cpu_s_with_encoding": round(with_features, 1)})
        print(f"tiny actor batch {batch:>2}: {rate.cpu:8.1f} inference steps per CPU-s ({rate.wall:8.1f} wall) "
              f"| encode {encode.cpu * 1e6:6.0f} us CPU/obs | {with_features:8.1f} steps per CPU-s incl. encoding")
    learner = []
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for name in MODEL_PRESETS:
        cfg = preset_config(name)
        net = build_policy(cfg).train()
        t, b = LEARNER_SHAPES[name]
        for device in devices:
            threads = 1 if device == "cpu" else None
            net.to(device)
            rate = train_samples_per_second(net, t, b, device, seconds)
            # CPU: samples per CPU-second of the one thread; GPU: wall clock.
            best = rate.cpu if device == "cpu" else rate.wall
            learner.append({"preset": name, "device": device, "cpu_threads": threads, "T": t, "B": b,
                            "parameters": parameter_counts(net)["total"], "samples_per_s": round(best, 2),
                            "samples_per_s_wall": round(rate.wall, 2), "seconds_per_batch": round(t * b / best, 3),
                            "max_entities": cfg.max_entities, "spatial_size": cfg.spatial_size})
            print(f"{name:>9} learner fwd+bwd [T={t},B={b}] on {device}: {best:9.2f} samples/s "
                  f"({t * b / best:.3f} s/batch; wall {rate.wall:.2f}/s; {parameter_counts(net)['total']:,} params)")
        del net
    tiny_rate = next(r["samples_per_s"] for r in learner if r["preset"] == "tiny" and r["device"] == "cpu")
    for row in learner:
        row["relative_to_tiny_cpu"] = round(row["samples_per_s"] / tiny_rate, 4)
    return {"actor_tiny_cpu_1_thread": actor, "learner": learner}


def write(results: dict, command: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "model_speed.json").write_text(json.dumps(results, indent=2) + "\n")
    m = results["machine"]
    lines = [
        "# Policy speed (bench/model_speed.py)", "",
        f"Command: `{command}`  ", f"Machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']}, "
        f"GPU: {m['gpu'] or 'none (CPU only)'}, commit {m['commit']}, {m['date']}, "
        f"1-min load average {m['load_average_1min']} (shared machine)", "",
        "Rates per CPU-second of the one torch thread (what one core delivers; the shared",
        "machine's wall clock, which includes waiting for a core, is in the JSON and in brackets).", "",
        "Actor side, tiny preset, one CPU thread (features precomputed; encoding measured apart):", "",
        "| batch | inference steps/s | encode us/obs | steps/s incl. encoding |", "|---|---|---|---|",
    ]
    lines += [f"| {r['batch']} | {r['inference_steps_per_cpu_s']} ({r['inference_steps_per_s_wall']}) | "
              f"{r['encode_us_per_obs_cpu']} ({r['encode_us_per_obs_wall']}) | {r['steps_per_cpu_s_with_encoding']} |"
              for r in results["actor_tiny_cpu_1_thread"]]
    lines += ["", "Learner side, evaluate + backward (one CPU thread unless noted):", "",
              "| preset | device | T x B | params | samples/s | s/batch | vs tiny |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['preset']} ({r['max_entities']} entities, {r['spatial_size']}^2) | {r['device']} | {r['T']}x{r['B']} | "
              f"{r['parameters']:,} | {r['samples_per_s']} ({r['samples_per_s_wall']}) | {r['seconds_per_batch']} | "
              f"{r['relative_to_tiny_cpu']} |"
              for r in results["learner"]]
    lines += ["", "No GPU on the machine that ran this: bf16 autocast and torch.compile (GPU options) were not measured.", ""]
    (RESULTS / "model_speed.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short timings, write nothing")
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    args = parser.parse_args()
    load_before = round(os.getloadavg()[0], 2)
    results = run(0.3 if args.quick else args.seconds)
    results["machine"] = machine()
    results["machine"]["load_average_1min_at_start"] = load_before
    if not args.quick:
        write(results, f".venv/bin/python -m bench.model_speed --seconds {args.seconds}")
        print(f"wrote {RESULTS / 'model_speed.json'} and .md")


if __name__ == "__main__":
    main()
