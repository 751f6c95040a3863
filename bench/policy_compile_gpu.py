"""Actor-side inference on a GPU, eager against torch.compile (central inference, SEED RL style).

    python bench/policy_compile_gpu.py      # on a CUDA machine; prints, writes nothing

`Policy.sample` of the tiny preset (features precomputed, agent.model.measure) at batch 1
and 256: eager, torch.compile's default mode, and mode="reduce-overhead" (CUDA graphs).
Eager inference on a GPU is launch-bound (~440 kernel launches a call, the autoregressive
heads), so the time per call hardly depends on the batch; first it prints a torch.profiler
table of one eager call to show that. Results are quoted in bench/results/learner_cuda.md.
"""

import time

import torch
from torch.profiler import ProfilerActivity, profile

from agent.model.measure import synthetic_batch, to_device
from agent.model.policy import build_policy
from agent.model.presets import preset_config

torch.manual_seed(0)
policy = build_policy(preset_config("tiny")).eval().cuda()


def rate(fn, batch, n=50):
    """(ms per call, steps/s) after 3 warm-up calls."""
    obs = to_device(synthetic_batch(policy.spec, batch), "cuda")
    state = policy.initial_state(batch, "cuda")
    for _ in range(3):
        fn(obs, state)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(n):
        fn(obs, state)
    torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / n
    return round(seconds * 1e3, 3), round(batch / seconds, 1)


obs = to_device(synthetic_batch(policy.spec, 16), "cuda")
state = policy.initial_state(16, "cuda")
policy.sample(obs, state)
with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
    policy.sample(obs, state)
    torch.cuda.synchronize()
print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=25))
for batch in (1, 256):
    print("eager", batch, rate(policy.sample, batch), flush=True)
for mode in ("default", "reduce-overhead"):
    start = time.time()
    torch._dynamo.reset()
    compiled = torch.compile(policy.sample, mode=mode, dynamic=False)
    for batch in (1, 256):
        print(mode, batch, rate(compiled, batch), "compile+run s", round(time.time() - start, 1), flush=True)
