"""The actor process (`starleague actor`): K environments, one local policy copy, one stream.

Every tick each environment advances one agent step. The learning seats that must act
this tick (the `delay` head lets a seat skip observations) are encoded and run through
the local policy as one batch; opponent seats (built-in bots run inside the env; frozen
snapshots and other learning players are a second policy on a second agent seat) are
batched the same way per opponent. Each learning seat accumulates an unroll of T steps
(T+1 rows, the core state at its start) that `TrajectorySender` compresses and streams
to the learner over one long-lived client stream, reconnecting with backoff and holding
at most a bounded number of unsent trajectories (oldest dropped, counted).
`SnapshotFollower` polls the learner's status and pulls a new snapshot when its version
moves. Matches come from the league (RequestMatch) and results go back (ReportResult).
"""

from __future__ import annotations

import collections
import dataclasses
import os
import threading
import time
from typing import Any, Callable, Optional

import grpc
import numpy as np
import torch

from agent import snapshot, transport, wire
from agent.policy_compile import compile_sampling
from agent.runtime_config import ActorConfig
from protos import learner_pb2, learner_pb2_grpc


class ActorError(RuntimeError):
    """The actor cannot go on (no snapshot ever arrived, an environment cannot start, ...)."""


@dataclasses.dataclass
class ActorStats:
    frames: int = 0  # env steps (agent steps of the learning seat, including skipped ones)
    decisions: int = 0  # learning-seat policy samples
    episodes: int = 0
    trajectories: int = 0
    sent: int = 0
    dropped_unsent: int = 0
    reconnects: int = 0
    snapshots_loaded: int = 0
    results_reported: int = 0
    wins: int = 0
    losses: int = 0
    draws: int = 0
    matches_skipped: int = 0


class Backoff:
    """0.2 s doubling to `maximum`; reset after a success."""

    def __init__(self, maximum: float):
        self.maximum = maximum
        self.delay = 0.2

    def wait(self, stop: threading.Event) -> None:
        stop.wait(self.delay)
        self.delay = min(self.delay * 2, self.maximum)

    def reset(self) -> None:
        self.delay = 0.2


class TrajectorySender:
    """Streams TrajectoryMessages on one long-lived SendTrajectories call per connection."""

    def __init__(self, stub: learner_pb2_grpc.LearnerStub, metadata, capacity: int, stats: ActorStats,
                 reconnect_max_seconds: float, log: Callable[[str], None]):
        self._stub = stub
        self._metadata = metadata
        self._pending: collections.deque[learner_pb2.TrajectoryMessage] = collections.deque()
        self._in_flight: Optional[learner_pb2.TrajectoryMessage] = None
        self._capacity = capacity
        self._cv = threading.Condition()
        self._stats = stats
        self._backoff = Backoff(reconnect_max_seconds)
        self._stop = threading.Event()
        self._log = log
        self._thread = threading.Thread(target=self._run, name="trajectory-sender", daemon=True)
        self._thread.start()

    def put(self, message: learner_pb2.TrajectoryMessage) -> None:
        with self._cv:
            if len(self._pending) >= self._capacity:
                self._pending.popleft()
                self._stats.dropped_unsent += 1
            self._pending.append(message)
            self._cv.notify()

    def unsent(self) -> int:
        with self._cv:
            return len(self._pending)

    def _messages(self, alive: threading.Event):
        while not self._stop.is_set() and alive.is_set():
            with self._cv:
                if not self._pending:
                    self._cv.wait(timeout=0.2)
                    continue
                message = self._pending.popleft()
                self._in_flight = message
            yield message
            # gRPC asks for the next message only once this one was written to the stream.
            with self._cv:
                self._in_flight = None
            self._stats.sent += 1
            self._backoff.reset()

    def _requeue_in_flight(self) -> None:
        """A message taken for a stream that then broke goes back to the front (never lost silently)."""
        with self._cv:
            message, self._in_flight = self._in_flight, None
            if message is None:
                return
            if len(self._pending) >= self._capacity:
                self._stats.dropped_unsent += 1
            else:
                self._pending.appendleft(message)

    def _run(self) -> None:
        while not self._stop.is_set():
            alive = threading.Event()
            alive.set()
            try:
                ack = self._stub.SendTrajectories(self._messages(alive), metadata=self._metadata)
                if ack.rejected:
                    self._log(f"actor: learner rejected {ack.rejected} trajectories: {dict(ack.rejected_by_reason)}")
            except grpc.RpcError as error:
                alive.clear()
                self._requeue_in_flight()
                if self._stop.is_set():
                    return
                self._stats.reconnects += 1
                self._log(f"actor: trajectory stream broke ({error.code().name}); reconnecting in {self._backoff.delay:.1f}s")
                self._backoff.wait(self._stop)

    def close(self, timeout: float = 5.0) -> None:
        """Give queued trajectories a moment to leave, then end the stream."""
        deadline = time.time() + timeout
        while self.unsent() and time.time() < deadline:
            time.sleep(0.05)
        self._stop.set()
        with self._cv:
            self._cv.notify_all()
        self._thread.join(timeout=timeout)


def fetch_learner_snapshot(stub: learner_pb2_grpc.LearnerStub, metadata, version: Optional[int] = None,
                           timeout: float = 60) -> tuple[int, dict[str, torch.Tensor]]:
    request = learner_pb2.LearnerSnapshotRequest(latest=version is None, version=version or 0)
    data, head = snapshot.assemble_chunks(stub.GetSnapshot(request, metadata=metadata, timeout=timeout))
    return head.version, snapshot.decode_snapshot(data)


class SnapshotFollower:
    """Polls the learner's Status; when its version moves, fetches the newest snapshot."""

    def __init__(self, stub, metadata, poll_seconds: float, log: Callable[[str], None]):
        self._stub = stub
        self._metadata = metadata
        self._poll = poll_seconds
        self._log = log
        self._lock = threading.Lock()
        self._ready: Optional[tuple[int, dict[str, torch.Tensor]]] = None
        self.current_version = -1
        self._seen_version = -1
        self.learner_reachable = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snapshot-follower", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status = self._stub.Status(learner_pb2.StatusRequest(), metadata=self._metadata, timeout=5)
                self.learner_reachable = True
                # Any move counts (a learner restarted without --resume goes back to 0).
                if status.version != self._seen_version:
                    version, params = fetch_learner_snapshot(self._stub, self._metadata)
                    with self._lock:
                        self._ready = (version, params)
                    self.current_version = version
                    self._seen_version = status.version
            except grpc.RpcError:
                self.learner_reachable = False
            except snapshot.SnapshotError as error:
                self._log(f"actor: discarded a bad snapshot: {error}")
            except ValueError:
                if self._stop.is_set():
                    return  # the channel was closed under a call started as we stopped
                raise
            self._stop.wait(self._poll)

    def take(self) -> Optional[tuple[int, dict[str, torch.Tensor]]]:
        with self._lock:
            ready, self._ready = self._ready, None
            return ready

    def wait_first(self, timeout: float) -> tuple[int, dict[str, torch.Tensor]]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            ready = self.take()
            if ready is not None:
                return ready
            time.sleep(0.05)
        raise ActorError(f"no snapshot from the learner within {timeout:.0f}s; is it running and is the token right?")

    def close(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)


@dataclasses.dataclass
class SeatMemory:
    """One agent seat of one env: what the policy needs between its decisions."""

    state: tuple[torch.Tensor, ...]  # core state [1, ...] before the next decision
    last_action: Optional[dict[str, np.ndarray]] = None
    wait: int = 0  # agent steps to skip before the next decision (the delay head)
    first: bool = True


@dataclasses.dataclass
class Unroll:
    """The learning seat's rows since the last emitted trajectory."""

    rows: list[tuple[dict, dict, dict, bool]] = dataclasses.field(default_factory=list)
    rewards: list[float] = dataclasses.field(default_factory=list)
    discounts: list[float] = dataclasses.field(default_factory=list)
    start_state: tuple[np.ndarray, ...] = ()
    start_version: int = 0
    pending_reward: float = 0.0
    pending_discount: float = 1.0
    pending_steps: int = 0  # env steps since the last decision (more than 1 when the delay head waits)
    env_frames: int = 0  # env steps since row 0


def zero_where_first(state: tuple[torch.Tensor, ...], first: bool) -> tuple[torch.Tensor, ...]:
    return tuple(torch.zeros_like(s) for s in state) if first else state


def build_trajectory(unroll: Unroll) -> wire.Trajectory:
    obs = {k: np.stack([r[0][k] for r in unroll.rows]) for k in unroll.rows[0][0]}
    actions = {k: np.stack([r[1][k] for r in unroll.rows]) for k in unroll.rows[0][1]}
    logp = {k: np.stack([r[2][k] for r in unroll.rows]).astype(np.float32) for k in unroll.rows[0][2]}
    return wire.Trajectory(
        obs=obs,
        actions=actions,
        logp=logp,
        first=np.array([r[3] for r in unroll.rows], dtype=bool),
        reward=np.array(unroll.rewards, dtype=np.float32),
        discount=np.array(unroll.discounts, dtype=np.float32),
        state=list(unroll.start_state),
    )


def add_env_step(unroll: Unroll, reward: float, last: bool, gamma: float) -> None:
    """Fold one env step into the open row, as a semi-MDP step: a decision followed by k env
    steps (the delay head's wait) earns r_1 + gamma r_2 + ... + gamma^(k-1) r_k and bootstraps
    with gamma^k. The learner multiplies every row's discount by gamma itself, so the row
    keeps gamma^(k-1) (0 once the episode ended). Without this a long wait cost nothing:
    every decision was discounted once, whatever time it covered."""
    unroll.pending_reward += gamma ** unroll.pending_steps * float(reward)
    unroll.pending_steps += 1
    unroll.pending_discount = 0.0 if last else gamma ** (unroll.pending_steps - 1)


def record_decision(unroll: Unroll, row: tuple, state_before: tuple[torch.Tensor, ...], version: int,
                    unroll_length: int) -> tuple[Unroll, Optional[Unroll]]:
    """Append one decision `row` (features, actions, logp, first) to `unroll`.

    The reward and discount gathered since the previous row close that row. At T+1 rows
    returns (next unroll, finished unroll): the next one starts with this same row and the
    core state before it, so the learner's bootstrap row is a real step (monobeast style).
    """
    if unroll.rows:
        unroll.rewards.append(unroll.pending_reward)
        unroll.discounts.append(unroll.pending_discount)
    else:
        unroll.start_state = tuple(s[0].cpu().numpy() for s in state_before)
        unroll.start_version = version
    unroll.pending_reward, unroll.pending_discount, unroll.pending_steps = 0.0, 1.0, 0
    unroll.rows.append(row)
    if len(unroll.rows) < unroll_length + 1:
        return unroll, None
    following = Unroll(rows=[row], start_state=tuple(s[0].cpu().numpy() for s in state_before), start_version=version)
    return following, unroll


def split_batch(tensors: dict[str, torch.Tensor], index: int) -> dict[str, np.ndarray]:
    return {k: v[index].cpu().numpy() for k, v in tensors.items()}


def local_state(state: tuple[torch.Tensor, ...], index: int) -> tuple[torch.Tensor, ...]:
    return tuple(s[index : index + 1] for s in state)


def run_policy(policy, spec, seats: list[tuple[Any, Any, SeatMemory]], deterministic: bool = False):
    """One batched decision for `seats` [(observation, game_info, memory)]: updates memories.

    Returns per seat (features, actions, logp) as numpy, and the state before the decision.
    """
    features = [spec.encode(obs, info, memory.last_action) for obs, info, memory in seats]
    batch = {k: torch.from_numpy(v) for k, v in spec.stack(features).items()}
    states_before = [zero_where_first(memory.state, memory.first) for _, _, memory in seats]
    state = tuple(torch.cat([s[i] for s in states_before]) for i in range(len(states_before[0])))
    out = policy.sample(batch, state, deterministic=deterministic)
    results = []
    for i, (_, _, memory) in enumerate(seats):
        actions = split_batch(out.actions, i)
        logp = split_batch(out.logp, i)
        memory.state = local_state(out.state, i)
        memory.last_action = actions
        memory.wait = int(actions.get("delay", 0))
        results.append((features[i], actions, logp, states_before[i]))
    return results


def decide_when_due(policy, memory: SeatMemory, obs, game_info, deterministic: bool = False):
    """One seat playing alone (an evaluation game, a DAgger student): its actions when its delay
    has run out, else None after counting the wait down."""
    if memory.wait > 0:
        memory.wait -= 1
        return None
    with torch.no_grad():
        (_, actions, _, _), = run_policy(policy, policy.spec, [(obs, game_info, memory)], deterministic=deterministic)
    memory.first = False
    return actions


OUTCOME_BY_RESULT = {1: "WIN", 2: "LOSS", 3: "DRAW", 4: "DRAW"}


def replay_path(replay_dir: str, match_id: str, suffix: str = ".slrp") -> str:
    safe = "".join(c if c.isalnum() or c in "-_@." else "_" for c in match_id)
    return os.path.join(replay_dir, f"{safe}{suffix}")


def keep_replay(match, outcome: str) -> bool:
    """The league's choice, and always a loss against a built-in bot (worth watching)."""
    return bool(match.save_replay) or (match.opponent_kind == "bot" and outcome == "LOSS")


@dataclasses.dataclass
class EnvSlot:
    """One environment of the actor and the match it is playing."""

    env: Any
    match: Any  # actor_matches.MatchPlan
    timesteps: list
    seats: list[SeatMemory]  # seat 0: the learning player; seat 1: a policy opponent (self-play)
    opponent: Optional[torch.nn.Module]
    unroll: Unroll
    game_loops: int = 0
    last_score: float = 0.0  # the learning seat's cumulative score at the previous env step


def score_reward(previous_score: float, score: float, scale: float) -> float:
    """rl.score_reward_scale's pseudo-reward for one env step: scale x the cumulative score's increase."""
    return scale * (score - previous_score)


def take_score_reward(slot: EnvSlot, observation, scale: float) -> float:
    """The step's score pseudo-reward for the learning seat; moves slot.last_score on."""
    if not scale:
        return 0.0
    score = float(observation.score)
    reward = score_reward(slot.last_score, score, scale)
    slot.last_score = score
    return reward


class Actor:
    """Plays the learning player's matches in K envs and feeds its learner."""

    def __init__(
        self,
        actor_id: str,
        policy: torch.nn.Module,
        learner_stub: learner_pb2_grpc.LearnerStub,
        token: str,
        matches,  # actor_matches.LeagueMatches | FixedMatches
        opponents,  # actor_matches.OpponentPolicies
        make_env: Callable[[Any], Any],  # MatchPlan -> Env
        config: ActorConfig,
        unroll_length: int,
        replay_dir: str,
        log: Callable[[str], None] = print,
        *,
        discount: float,  # the learner's gamma (rl.discount): discounts the steps a decision waits
        score_reward_scale: float = 0.0,  # rl.score_reward_scale
    ):
        from agent.actions import to_commands

        self._to_commands = to_commands
        self.actor_id = actor_id
        self.policy = compile_sampling(policy.eval(), config.compile_policy, log)
        self.spec = policy.spec
        self.matches = matches
        self.opponents = opponents
        self.make_env = make_env
        self.config = config
        self.T = unroll_length
        self.discount = float(discount)
        self.score_reward_scale = float(score_reward_scale)
        self.replay_dir = replay_dir
        self.log = log
        self.stats = ActorStats()
        self.version = -1
        self._sequence = 0
        self._metadata = transport.auth_metadata(token)
        self.sender = TrajectorySender(learner_stub, self._metadata, config.max_unsent_trajectories, self.stats,
                                       config.reconnect_max_seconds, log)
        self.follower = SnapshotFollower(learner_stub, self._metadata, config.snapshot_poll_seconds, log)
        self.stop_event = threading.Event()
        self.recent_outcomes: collections.deque[str] = collections.deque(maxlen=100)

    # --- parameters ---------------------------------------------------------------

    def _load(self, ready: tuple[int, dict[str, torch.Tensor]]) -> None:
        version, params = ready
        self.policy.load_state_dict(params)
        self.version = version
        self.stats.snapshots_loaded += 1

    # --- matches ------------------------------------------------------------------

    def _next_match(self):
        backoff = Backoff(self.config.reconnect_max_seconds)
        while not self.stop_event.is_set():
            try:
                return self.matches.next_match()
            except grpc.RpcError as error:
                self.log(f"actor: league RequestMatch failed ({error.code().name}); retrying")
                backoff.wait(self.stop_event)
        return None

    def _start_match(self, unroll: Unroll) -> Optional[EnvSlot]:
        """The next match's env and opponent; a match that cannot start is skipped (logged, counted)."""
        from sc2env.env import EnvError

        backoff = Backoff(self.config.reconnect_max_seconds)
        while not self.stop_event.is_set():
            match = self._next_match()
            if match is None:
                return None
            try:
                opponent = None
                if match.opponent_kind == "learning" and match.opponent_id == match.player_id:
                    opponent = self.policy  # self-play against the current parameters
                elif match.opponent_kind in ("learning", "snapshot"):
                    opponent = self.opponents.get(match)
                env = self.make_env(match)
                timesteps = env.reset()
            except (grpc.RpcError, snapshot.SnapshotError, EnvError, ValueError, KeyError) as error:
                self.stats.matches_skipped += 1
                self.log(f"actor: cannot start match {match.match_id} vs {match.opponent_id}: {error}; next match")
                backoff.wait(self.stop_event)
                continue
            seats = [SeatMemory(state=self.policy.initial_state(1)) for _ in timesteps]
            return EnvSlot(env, match, timesteps, seats, opponent, unroll,
                           last_score=float(timesteps[0].observation.score))
        return None

    def _finish_match(self, slot: EnvSlot) -> None:
        result = int(slot.timesteps[0].result)
        outcome = OUTCOME_BY_RESULT.get(result, "DRAW")
        path = ""
        if keep_replay(slot.match, outcome):
            try:
                os.makedirs(self.replay_dir, exist_ok=True)
                suffix = getattr(slot.env, "replay_suffix", ".slrp")
                path = slot.env.save_replay(replay_path(self.replay_dir, slot.match.match_id, suffix))
            except Exception as error:  # a replay is nice to have; the result still counts
                self.log(f"actor: could not save replay of {slot.match.match_id}: {error}")
        slot.env.close()
        self.matches.report(slot.match, outcome, int(slot.timesteps[0].observation.game_loop), self.version, path)
        self.stats.episodes += 1
        self.stats.results_reported += 1
        self.stats.wins += outcome == "WIN"
        self.stats.losses += outcome == "LOSS"
        self.stats.draws += outcome == "DRAW"
        self.recent_outcomes.append(outcome)

    # --- the loop -----------------------------------------------------------------

    def _record(self, slot: EnvSlot, features, actions, logp, state_before) -> None:
        """Add one learning-seat decision to its unroll; emit a trajectory at T+1 rows."""
        row = (features, actions, logp, slot.seats[0].first)
        slot.unroll, finished = record_decision(slot.unroll, row, state_before, self.version, self.T)
        if finished is not None:
            self._emit(finished)

    def _emit(self, unroll: Unroll) -> None:
        trajectory = build_trajectory(unroll)
        payload = wire.encode_trajectory(trajectory, level=self.config.compression_level)
        self._sequence += 1
        self.sender.put(learner_pb2.TrajectoryMessage(
            player_id=self._player_id, actor_id=self.actor_id, policy_version=unroll.start_version,
            unroll_length=self.T, codec=wire.CODEC, payload=payload, sequence=self._sequence,
            env_frames=unroll.env_frames,
        ))
        self.stats.trajectories += 1

    def _decide(self, slots: list[EnvSlot]) -> list[list]:
        """Commands per env per agent seat for this tick (batched inference per policy)."""
        commands = [[[] for _ in slot.timesteps] for slot in slots]
        groups: dict[int, list[tuple[int, int]]] = collections.defaultdict(list)
        policies: dict[int, torch.nn.Module] = {}
        for i, slot in enumerate(slots):
            for seat, memory in enumerate(slot.seats):
                if memory.wait > 0:
                    memory.wait -= 1
                    continue
                policy = self.policy if seat == 0 else slot.opponent
                # Learning seats get their own batch even in self-play: only they are recorded.
                key = -1 if seat == 0 else id(policy)
                groups[key].append((i, seat))
                policies[key] = policy
        for key, members in groups.items():
            seats = [(slots[i].timesteps[s].observation, slots[i].env.game_info, slots[i].seats[s]) for i, s in members]
            with torch.no_grad():
                results = run_policy(policies[key], self.spec, seats)
            for (i, seat), (features, actions, logp, state_before), (obs, info, memory) in zip(members, results, seats):
                if seat == 0:
                    self._record(slots[i], features, actions, logp, state_before)
                    self.stats.decisions += 1
                memory.first = False
                commands[i][seat] = self._to_commands(actions, obs, info, self.spec)
        return commands

    def run(self, max_seconds: Optional[float] = None, max_frames: Optional[int] = None,
            snapshot_timeout: float = 120.0) -> ActorStats:
        self.follower.start()
        self._load(self.follower.wait_first(snapshot_timeout))
        self._player_id = getattr(self.matches, "player_id", "") or ""
        start = last_log = time.time()
        slots: list[EnvSlot] = []
        try:
            for _ in range(self.config.envs_per_actor):
                slot = self._start_match(Unroll())
                if slot is None:
                    return self.stats
                slots.append(slot)
            self._player_id = slots[0].match.player_id
            while not self.stop_event.is_set():
                if max_seconds is not None and time.time() - start >= max_seconds:
                    break
                if max_frames is not None and self.stats.frames >= max_frames:
                    break
                ready = self.follower.take()
                if ready is not None:
                    self._load(ready)
                commands = self._decide(slots)
                for i, slot in enumerate(slots):
                    slot.timesteps = slot.env.step(commands[i])
                    self.stats.frames += 1
                    slot.unroll.env_frames += 1
                    step = slot.timesteps[0]
                    reward = step.reward + take_score_reward(slot, step.observation, self.score_reward_scale)
                    add_env_step(slot.unroll, reward, step.last(), self.discount)
                    if step.last():
                        self._finish_match(slot)
                        fresh = self._start_match(slot.unroll)
                        if fresh is None:
                            return self.stats
                        slots[i] = fresh
                now = time.time()
                if now - last_log >= 10.0:
                    last_log = now
                    s = self.stats
                    self.log(f"actor {self.actor_id}: frames {s.frames} ({s.frames / (now - start):.0f}/s) "
                             f"episodes {s.episodes} v{self.version} sent {s.sent} unsent {self.sender.unsent()} "
                             f"dropped {s.dropped_unsent} reconnects {s.reconnects}")
        finally:
            for slot in slots:
                try:
                    slot.env.close()
                except Exception:
                    pass
            self.matches.flush()
            self.follower.close()
            self.sender.close()
        return self.stats

    def stop(self) -> None:
        self.stop_event.set()

    def join_threads(self, timeout: float = 10.0) -> None:
        """After run() and closing the channels: wait for the snapshot follower to leave its
        last call. A gRPC call still running in a thread when the interpreter exits can abort
        the process ("terminate called without an active exception", exit status -6)."""
        self.follower.join(timeout)
