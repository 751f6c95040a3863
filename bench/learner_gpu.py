"""Learner samples/s on a GPU: the whole learner step for the tiny, base and alphastar presets.

    python -m bench.learner_gpu                      # on a CUDA machine: bench/results/learner_cuda.{json,md}
    python -m bench.learner_gpu --device cpu --quick # a check that it runs (tiny shapes, nothing compared)

Each row times `agent.learning.learn` (the function the learner runs: the model's evaluate
over T+1 rows, V-trace and the losses, backward, gradient clipping and the Adam step) on
one synthetic [T, B] batch (agent.model.measure.synthetic_learner_batch: 100-unit
observations), in float32 and with the forward pass under bfloat16 autocast
(`--set learner.precision=bf16`). Samples/s = T*B per second of wall time, CUDA-synchronised.
Peak memory is torch.cuda.max_memory_allocated for the row. The actor side is timed too:
`Policy.sample` steps/s of the tiny preset at several batch sizes, which is what a central
inference server on the GPU would deliver (SEED RL), against one CPU core's rate in
bench/results/model_speed.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys

import torch

# [T, B] per preset: the run presets' unroll lengths with batches a GPU learner would use.
SHAPES = {"tiny": [(32, 64), (32, 256)], "base": [(32, 16), (32, 64)], "alphastar": [(16, 8), (32, 16)]}
QUICK_SHAPES = {"tiny": [(4, 2)], "base": [(2, 1)], "alphastar": [(1, 1)]}
INFERENCE_BATCHES = (1, 16, 64, 256)


def machine(device: torch.device) -> dict:
    """bench.model_speed's machine record, with the Python version and the GPU in use."""
    from bench.model_speed import machine as host

    info = host()
    info["python"] = platform.python_version()
    info["gpu"] = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    return info


def learner_rows(device: torch.device, shapes: dict, precisions: list[str], seconds: float) -> list[dict]:
    from agent.model.measure import learner_samples_per_second, parameter_counts
    from agent.model.policy import build_policy
    from agent.model.presets import preset_config

    rows = []
    for preset, preset_shapes in shapes.items():
        torch.manual_seed(0)
        config = preset_config(preset)
        policy = build_policy(config).train().to(device)
        params = parameter_counts(policy)["total"]
        for t, b in preset_shapes:
            for precision in precisions:
                row = {"preset": preset, "T": t, "B": b, "precision": precision, "parameters": params,
                       "max_entities": config.max_entities, "spatial_size": config.spatial_size}
                if device.type == "cuda":
                    torch.cuda.empty_cache()
                    torch.cuda.reset_peak_memory_stats(device)
                try:
                    rate = learner_samples_per_second(policy, t, b, device, precision, seconds)
                except torch.OutOfMemoryError as error:  # a row too big for the card is a result, not a crash
                    row["error"] = f"out of memory: {str(error).splitlines()[0]}"
                else:
                    row["samples_per_s"] = round(rate.wall, 1)
                    row["seconds_per_step"] = round(t * b / rate.wall, 4)
                    if device.type == "cuda":
                        row["peak_memory_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
                rows.append(row)
                print(json.dumps(row), flush=True)
        del policy
    return rows


def inference_rows(device: torch.device, batches, seconds: float) -> list[dict]:
    from agent.model.measure import inference_steps_per_second
    from agent.model.policy import build_policy
    from agent.model.presets import preset_config

    torch.manual_seed(0)
    policy = build_policy(preset_config("tiny")).eval().to(device)
    rows = []
    for batch in batches:
        rate = inference_steps_per_second(policy, batch, device, seconds)
        rows.append({"preset": "tiny", "batch": batch, "steps_per_s": round(rate.wall, 1),
                     "ms_per_call": round(batch / rate.wall * 1e3, 3)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def markdown(results: dict, command: str) -> str:
    m = results["machine"]
    lines = ["# Learner speed on a GPU (bench/learner_gpu.py)", "", f"Command: `{command}`  ",
             f"Machine: {m['gpu'] or 'no GPU'}; {m['cpu']}, {m['cores']} cores; torch {m['torch']}, "
             f"Python {m['python']}; commit {m['commit']}, {m['date']}", "",
             "The whole learner step (`agent.learning.learn`: evaluate over T+1 rows, V-trace, losses, backward, "
             "clipping, Adam) on one synthetic batch; samples/s = T*B per second.", "",
             "| preset | params | T x B | precision | samples/s | s/step | peak GiB |", "|---|---:|---|---|---:|---:|---:|"]
    for r in results["learner"]:
        shape = f"{r['T']}x{r['B']}"
        if "error" in r:
            lines.append(f"| {r['preset']} | {r['parameters']:,} | {shape} | {r['precision']} | {r['error']} | | |")
        else:
            lines.append(f"| {r['preset']} ({r['max_entities']} entities, {r['spatial_size']}^2) | {r['parameters']:,} "
                         f"| {shape} | {r['precision']} | {r['samples_per_s']:,} | {r['seconds_per_step']} "
                         f"| {r.get('peak_memory_gib', '')} |")
    lines += ["", "Actor-side inference of the tiny preset on the same device (`Policy.sample`, features precomputed):",
              "", "| batch | steps/s | ms per call |", "|---:|---:|---:|"]
    lines += [f"| {r['batch']} | {r['steps_per_s']:,} | {r['ms_per_call']} |" for r in results["inference"]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--seconds", type=float, default=3.0, help="timing budget per row")
    parser.add_argument("--quick", action="store_true", help="tiny shapes, short timings (a check that it runs)")
    parser.add_argument("--out", default="bench/results", help="directory for learner_<device>.{json,md}")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("no CUDA device here; run it on a GPU machine, or --device cpu --quick to check it runs")
    shapes = QUICK_SHAPES if args.quick else SHAPES
    precisions = ["fp32", "bf16"] if device.type == "cuda" else ["fp32"]
    seconds = 0.2 if args.quick else args.seconds
    results = {"machine": machine(device), "learner": learner_rows(device, shapes, precisions, seconds),
               "inference": inference_rows(device, INFERENCE_BATCHES[:2] if args.quick else INFERENCE_BATCHES, seconds)}
    command = "python -m bench.learner_gpu " + " ".join(argv if argv is not None else sys.argv[1:])
    results["command"] = command.strip()
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, f"learner_{device.type}")
    with open(stem + ".json", "w") as f:
        json.dump(results, f, indent=2)
    with open(stem + ".md", "w") as f:
        f.write(markdown(results, results["command"]))
    print(f"wrote {stem}.json and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
