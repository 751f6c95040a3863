"""`starleague model`: a model preset's parameter count per module and measured speed."""

from __future__ import annotations

import argparse

import torch

from agent.model.presets import MODEL_PRESETS, ModelConfigError, preset_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("model", help="parameter count per module and inference rate of a model preset")
    parser.add_argument("--preset", default="tiny", choices=sorted(MODEL_PRESETS), help="model size preset")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="FIELD=INT",
        help="override a ModelConfig field, e.g. --set max_entities=256 (repeatable)",
    )
    parser.add_argument("--batch", default="1,32", help="batch sizes to time, comma separated (default 1,32)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for the CPU timing (default 1)")
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent per measurement")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.features import FeatureSpec
    from agent.model.measure import encode_seconds_per_observation, inference_steps_per_second, parameter_counts
    from agent.model.policy import build_policy

    try:
        overrides = {}
        for item in args.overrides:
            key, _, value = item.partition("=")
            overrides[key.strip()] = value.strip().lower() in ("1", "true", "yes") if key.strip() == "privileged_baseline" else int(value)
        config = preset_config(args.preset, **overrides)
        batches = [int(b) for b in args.batch.split(",") if b]
    except (ModelConfigError, ValueError, TypeError) as error:
        print(f"model config error: {error}")
        return 2
    torch.set_num_threads(args.threads)
    spec = FeatureSpec(config)
    policy = build_policy(config, spec).eval()
    print(f"preset {args.preset}: max_entities={config.max_entities} spatial_size={config.spatial_size} "
          f"actions={spec.num_actions} unit_types={spec.num_unit_types}")
    counts = parameter_counts(policy)
    for name, count in counts.items():
        print(f"  {name:<16} {count:>12,d} parameters")
    encode = encode_seconds_per_observation(spec, min_seconds=args.seconds)
    print(f"feature encoding: {encode.wall * 1e6:.0f} us per observation (100 units; {encode.cpu * 1e6:.0f} us CPU)")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        policy.to(device)
        where = f"cpu, {args.threads} thread(s)" if device == "cpu" else torch.cuda.get_device_name()
        for batch in batches:
            rate = inference_steps_per_second(policy, batch, device, args.seconds)
            cpu = f" ({rate.cpu:.1f} per CPU-second)" if device == "cpu" else ""
            print(f"inference ({where}) batch {batch:>3}: {rate.wall:10.1f} steps/s{cpu}")
    if not torch.cuda.is_available():
        print("no GPU here: CPU numbers only")
    return 0
