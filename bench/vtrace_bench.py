"""V-trace speed: ours side by side with the naive loop and the usual reverse scan.

    .venv/bin/python -m bench.vtrace_bench                  # CPU, writes bench/results/vtrace_cpu.{json,md}
    .venv/bin/python -m bench.vtrace_bench --device cuda    # on a GPU machine: vtrace_cuda.{json,md}

Rows, all computing the same vs and pg_advantages (checked against the float64 reverse
scan before timing):
- naive_per_element: the recursion one Python float at a time (agent.rl.vtrace_reference).
- reverse_scan: the per-step tensor loop of scalable_agent / torchbeast, written from the formula.
- reverse_scan_jit: the same loop compiled with torch.jit.script (an option we measured).
- ours_torch: agent.rl.vtrace(implementation="torch"): log-depth scan, any device.
- ours_numba: agent.rl.vtrace(implementation="numba"): one fused CPU pass (what "auto" picks on CPU).
- fused_floor (GPU only): one copy kernel moving the bytes a single fused V-trace kernel must
  read and write (5 inputs + 2 outputs), i.e. a memory-bound lower bound for any implementation.
Times are medians per call over interleaved rounds, one torch thread.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time

import torch

from agent.rl import vtrace_numba
from agent.rl.vtrace import vtrace
from agent.rl.vtrace_reference import vtrace_per_element_loop, vtrace_reverse_scan

SHAPES = ((80, 256), (20, 32))


@torch.jit.script
def _jit_scan(deltas: torch.Tensor, decay: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(deltas)
    acc = torch.zeros_like(deltas[0])
    num_steps = deltas.shape[0]
    for back in range(num_steps):
        t = num_steps - 1 - back
        acc = deltas[t] + decay[t] * acc
        out[t] = acc
    return out


def reverse_scan_jit(log_rhos, discounts, rewards, values, bootstrap_value):
    with torch.no_grad():
        rhos = torch.exp(log_rhos)
        clipped = torch.clamp(rhos, max=1.0)
        v_t = torch.cat([values[1:], bootstrap_value.unsqueeze(0)])
        vs = values + _jit_scan(clipped * (rewards + discounts * v_t - values), discounts * clipped)
        vs_t = torch.cat([vs[1:], bootstrap_value.unsqueeze(0)])
        return vs, clipped * (rewards + discounts * vs_t - values)


def make_inputs(num_steps, batch, device, seed=0):
    g = torch.Generator().manual_seed(seed)
    shape = (num_steps, batch)
    done = torch.rand(shape, generator=g) < 0.02
    inputs = (torch.randn(shape, generator=g) * 0.5, 0.99 * (~done).float(), torch.randn(shape, generator=g),
              torch.randn(shape, generator=g), torch.randn(batch, generator=g))
    return tuple(x.to(device) for x in inputs)


def time_rows(rows, device, seconds_per_row, rounds=15):
    """Median seconds per call of each row; rows interleaved round by round so that load from
    other processes on a shared machine falls on all of them alike."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    calls = {}
    for name, fn in rows.items():  # warm up (compilation, caches) and size one batch to ~1/rounds of the budget
        fn()
        sync()
        t0 = time.perf_counter()
        fn()
        sync()
        once = time.perf_counter() - t0
        calls[name] = max(1, int(seconds_per_row / rounds / max(once, 1e-7)))
    samples = {name: [] for name in rows}
    for round_index in range(rounds):
        for name, fn in rows.items():
            if name == "naive_per_element" and round_index >= 3:
                continue  # slow and far behind; three rounds say enough
            t0 = time.perf_counter()
            for _ in range(calls[name]):
                fn()
            sync()
            samples[name].append((time.perf_counter() - t0) / calls[name])
    return {name: (statistics.median(values), calls[name] * len(values)) for name, values in samples.items()}


def candidates(inputs, device):
    rows = {}
    if device.type == "cpu":
        rows["naive_per_element"] = lambda: vtrace_per_element_loop(*inputs)
    rows["reverse_scan"] = lambda: vtrace_reverse_scan(*inputs)
    rows["reverse_scan_jit"] = lambda: reverse_scan_jit(*inputs)
    rows["ours_torch"] = lambda: vtrace(*inputs, implementation="torch")
    if device.type == "cpu" and vtrace_numba.available():
        rows["ours_numba"] = lambda: vtrace(*inputs, implementation="numba")
    if device.type == "cuda":
        src = torch.empty(inputs[0].numel() * 7 // 2 + 1, device=device)
        dst = torch.empty_like(src)  # copy = read + write of 3.5 [T, B] tensors each = 7 tensors moved
        rows["fused_floor"] = lambda: dst.copy_(src)
    return rows


def check(rows, inputs):
    expected = vtrace_reverse_scan(*[x.double() for x in inputs])
    for name, fn in rows.items():
        if name == "fused_floor":
            continue
        vs, pg = fn()
        torch.testing.assert_close(vs.double().cpu(), expected.vs.cpu(), rtol=1e-4, atol=1e-4, msg=name)
        torch.testing.assert_close(pg.double().cpu(), expected.pg_advantages.cpu(), rtol=1e-4, atol=1e-4, msg=name)


def machine(device):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    info = {"cpu": cpu, "cpu_count": os.cpu_count(), "torch": torch.__version__, "torch_threads": 1,
            "python": platform.python_version(), "numba": None}
    if vtrace_numba.available():
        import numba

        info["numba"] = numba.__version__
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seconds", type=float, default=1.0, help="timing budget per row and shape")
    parser.add_argument("--out", default="bench/results", help="directory for vtrace_<device>.{json,md}")
    parser.add_argument("--note", default="", help="a line stored with the results (e.g. what was not measured)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    device = torch.device(args.device)
    load_before = os.getloadavg()[0]
    results = []
    for num_steps, batch in SHAPES:
        inputs = make_inputs(num_steps, batch, device)
        rows = candidates(inputs, device)
        check(rows, inputs)
        timings = time_rows(rows, device, args.seconds)
        base = timings["reverse_scan"][0]
        for name, (seconds, reps) in timings.items():
            results.append({"T": num_steps, "B": batch, "impl": name, "us_per_call": seconds * 1e6, "reps": reps,
                            "speedup_vs_reverse_scan": base / seconds})
    info = machine(device)
    info["load_average_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]  # before, after: others' load
    command = "python -m bench.vtrace_bench " + shlex.join(argv if argv is not None else sys.argv[1:])
    report = {"benchmark": "vtrace", "device": str(device), "machine": info, "command": command.strip(),
              "note": args.note, "results": results}
    lines = [f"# V-trace speed ({device})", "", "```", command.strip(), "```", "", f"Machine: {json.dumps(info)}", ""]
    if args.note:
        lines += [args.note, ""]
    lines += ["| T | B | implementation | us / call | x reverse scan |", "|---|---|---|---:|---:|"]
    lines += [f"| {r['T']} | {r['B']} | {r['impl']} | {r['us_per_call']:.1f} | {r['speedup_vs_reverse_scan']:.2f} |"
              for r in results]
    text = "\n".join(lines)
    print(text)
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, f"vtrace_{device.type}")
    with open(stem + ".json", "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    with open(stem + ".md", "w") as f:
        f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
