"""Trajectory transport: (c) compression ratio and codec MB/s, (d) learner ingest from many streams.

    .venv/bin/python -m bench.runtime_transport          # writes bench/results/runtime_transport.{json,md}

(c) Real unrolls (tiny model, T = 32, the policy playing the embedded engine vs the Easy
    bot) through agent.wire at several zstd levels: raw bytes / compressed bytes, encode
    and decode MB/s of raw data, one thread.
(d) A learner's intake (agent.learner_service: decode + schema check + bounded queue; the
    queue drained by a thread instead of training, so intake is what is measured) served
    by a separate process; N concurrent client streams (threads of this process, messages
    encoded beforehand) each send M real trajectories. Reported: trajectories/s, compressed
    MB/s over the wire and raw MB/s admitted, side by side for N = 1 .. 32.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import threading
import time

import torch

from agent import transport, wire
from agent.model.config import ModelConfig
from bench.runtime_common import collect_trajectories, command, machine, raw_bytes, write_results

TOKEN = "bench-token"
T = 32


def codec_rows(trajectories, levels=(1, 3, 9), rounds=3) -> list[dict]:
    rows = []
    raw = sum(raw_bytes(t) for t in trajectories)
    for level in levels:
        enc_times, dec_times = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            payloads = [wire.encode_trajectory(t, level=level) for t in trajectories]
            enc_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            for p in payloads:
                wire.decode_trajectory(p)
            dec_times.append(time.perf_counter() - start)
        compressed = sum(len(p) for p in payloads)
        rows.append({
            "zstd_level": level, "raw_kb_per_unroll": raw / len(trajectories) / 1024,
            "compressed_kb_per_unroll": compressed / len(trajectories) / 1024, "ratio": raw / compressed,
            "encode_mb_s": raw / statistics.median(enc_times) / 1e6, "decode_mb_s": raw / statistics.median(dec_times) / 1e6,
        })
    return rows


def _serve(port_queue, unroll_length: int, model: dict) -> None:
    """The intake side in its own process: LearnerService with a draining thread."""
    import grpc
    import concurrent.futures
    from agent.learner import trajectory_schema
    from agent.learner_service import Counters, LearnerService, SnapshotStore, TrajectoryQueue
    from agent.model.policy import build_policy
    from protos import learner_pb2, learner_pb2_grpc

    torch.set_num_threads(1)
    policy = build_policy(ModelConfig(**model))
    stop = threading.Event()
    queue = TrajectoryQueue(64)
    counters = Counters()
    service = LearnerService("main_0", trajectory_schema(policy, unroll_length), queue, SnapshotStore("main_0"),
                             counters, lambda: learner_pb2.LearnerStatus(accepted=counters.snapshot()[0]), stop,
                             log=lambda line: None)
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=48),
                         interceptors=[transport.TokenAuthInterceptor(TOKEN)], options=transport.channel_options())
    learner_pb2_grpc.add_LearnerServicer_to_server(service, server)
    port = transport.add_port(server, "localhost:0")
    server.start()

    def drain():
        while not stop.is_set():
            queue.get_batch(1, stop)

    threading.Thread(target=drain, daemon=True).start()
    port_queue.put(port)
    server.wait_for_termination()


def ingest_rows(trajectories, model: dict, streams_list=(1, 4, 16, 32), total=192) -> list[dict]:
    from protos import learner_pb2, learner_pb2_grpc

    ctx = multiprocessing.get_context("spawn")
    ports = ctx.Queue()
    server = ctx.Process(target=_serve, args=(ports, T, model), daemon=True)
    server.start()
    port = ports.get(timeout=120)
    payloads = [wire.encode_trajectory(t) for t in trajectories]
    raw = [raw_bytes(t) for t in trajectories]
    rows = []
    try:
        for streams in streams_list:
            per_stream = max(1, total // streams)
            channels = [transport.open_channel(f"localhost:{port}") for _ in range(streams)]
            stubs = [learner_pb2_grpc.LearnerStub(c) for c in channels]
            metadata = transport.auth_metadata(TOKEN)
            acks = []

            def send(stub):
                messages = (learner_pb2.TrajectoryMessage(
                    player_id="main_0", actor_id="bench", unroll_length=T, codec=wire.CODEC,
                    payload=payloads[i % len(payloads)], sequence=i) for i in range(per_stream))
                acks.append(stub.SendTrajectories(messages, metadata=metadata, timeout=600))

            threads = [threading.Thread(target=send, args=(s,)) for s in stubs]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seconds = time.perf_counter() - start
            sent = per_stream * streams
            assert sum(a.accepted for a in acks) == sent, [a for a in acks if a.rejected]
            wire_bytes = sum(len(payloads[i % len(payloads)]) for i in range(per_stream)) * streams
            raw_total = sum(raw[i % len(raw)] for i in range(per_stream)) * streams
            rows.append({"streams": streams, "trajectories": sent, "seconds": seconds,
                         "trajectories_s": sent / seconds, "wire_mb_s": wire_bytes / seconds / 1e6,
                         "raw_mb_s": raw_total / seconds / 1e6, "frames_s": sent * T / seconds})
            for c in channels:
                c.close()
    finally:
        server.terminate()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unrolls", type=int, default=8)
    parser.add_argument("--total", type=int, default=192, help="trajectories sent per ingest row")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = {"preset": "tiny"}
    _, trajectories = collect_trajectories(args.unrolls, T, ModelConfig(**model))
    codec = codec_rows(trajectories)
    ingest = ingest_rows(trajectories, model, total=args.total)
    info = machine()
    md = [f"# Trajectory transport (tiny model, T = {T})", "", "```", command(), "```", "",
          f"Machine: {info}", "",
          "No GPU here (CPU-only torch build); nothing in this bench uses one. The 2 cores are shared with "
          "other jobs (load average above), so absolute rates are noisy; the rows of each table ran back to back.",
          "", "## (c) Compression (agent.wire: zstd of named raw arrays)", "",
          "| zstd level | raw KB / unroll | compressed KB / unroll | ratio | encode MB/s (raw) | decode MB/s (raw) |",
          "|---:|---:|---:|---:|---:|---:|"]
    md += [f"| {r['zstd_level']} | {r['raw_kb_per_unroll']:.0f} | {r['compressed_kb_per_unroll']:.1f} | {r['ratio']:.1f} | "
           f"{r['encode_mb_s']:.0f} | {r['decode_mb_s']:.0f} |" for r in codec]
    md += ["", "## (d) Learner ingest (decode + validate + queue) from concurrent streams", "",
           "| streams | trajectories | trajectories/s | frames/s (T x traj/s) | wire MB/s | raw MB/s admitted |",
           "|---:|---:|---:|---:|---:|---:|"]
    md += [f"| {r['streams']} | {r['trajectories']} | {r['trajectories_s']:.0f} | {r['frames_s']:.0f} | "
           f"{r['wire_mb_s']:.1f} | {r['raw_mb_s']:.0f} |" for r in ingest]
    write_results("runtime_transport", {"command": command(), "machine": info, "unroll_length": T,
                                        "codec": codec, "ingest": ingest}, "\n".join(md) + "\n")


if __name__ == "__main__":
    main()
