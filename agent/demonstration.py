"""Demonstrations: a built-in bot's games, recorded as the policy's own actions.

AlphaStar starts reinforcement learning from a policy trained to imitate human games
(Vinyals et al. 2019, "Supervised learning"); without one, self-play from random
parameters rarely discovers "build a depot, a barracks, marines, then attack". Our
demonstrators are the scripted bots of `sc2env.bots`.

A bot sends any number of commands per step, selects any number of units and places
buildings anywhere; the policy sends one command per decision, selects at most
`max_selected_units` of its first `max_entities` entities and targets the centre of a
grid cell. So the teacher plays *through the policy's action interface*: its commands
wait in a queue, one is sent per agent step, converted to the policy's heads
(`command_to_action`), and what is executed is `agent.actions.to_commands` of that action.
Every recorded action is therefore one the policy can take, legal under the features'
masks, and the recorded game is the game those actions produced. Commands the policy
cannot express (an ability outside the action table, units past the entity cap, a target
the masks forbid) are dropped and counted by reason. The recorded decisions are the steps
with a command, each with the delay until the next one (`decision_steps`), as AlphaStar's
human data are.

An episode is saved as one SLA1 container (agent.wire, never pickle): the feature arrays
of every decision ("obs/..."), the actions ("action/...") and the outcome.
"""

from __future__ import annotations

import collections
import dataclasses
import os
from typing import Callable, Optional

import numpy as np

from agent import wire
from agent.actions import HEADS, NO_OP, Target, to_commands
from agent.features import FeatureSpec
from sc2env.types import Alliance, GameInfo, Observation, RawCommand

EPISODE_SUFFIX = ".sldemo"
# The tiny preset's features are ~40 KB a decision; 2 GiB holds a game of ~50,000 decisions.
MAX_EPISODE_BYTES = 2 * 1024**3
OUTCOMES = ("WIN", "LOSS", "DRAW")


class DemonstrationError(ValueError):
    """A command the policy's action space cannot express; `reason` names why (counted)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def no_op_action(spec: FeatureSpec) -> dict[str, np.ndarray]:
    """The heads of a no-op, with the values the policy gives unused heads."""
    action = {head: np.asarray(0, dtype=np.int64) for head in HEADS}
    action["selected_units"] = np.full(spec.max_selected_units, spec.max_entities, dtype=np.int64)
    return action


def _target_kind(command: RawCommand) -> Target:
    if command.target_point is not None:
        return Target.POINT
    if command.target_unit_tag is not None:
        return Target.UNIT
    return Target.NONE


def action_type_for(command: RawCommand, spec: FeatureSpec, available: np.ndarray) -> int:
    """The action type that sends `command`'s ability with its kind of target, among the available ones."""
    offered = spec.action_types_for_ability(command.ability_id)
    if not offered.any():
        raise DemonstrationError("ability_not_in_table", f"ability {command.ability_id} is not in the action table")
    kind = _target_kind(command)
    candidates = [a for a in np.flatnonzero(offered) if spec.action_table[a].target is kind]
    if not candidates:
        raise DemonstrationError("target_kind", f"ability {command.ability_id} has no action type with a {kind.value} target")
    legal = [a for a in candidates if available[a]]
    if not legal:
        raise DemonstrationError("not_available", f"{spec.action_table[candidates[0]].name} is not available now")
    return int(legal[0])


def command_to_action(command: RawCommand, features: dict[str, np.ndarray], entity_tags: np.ndarray,
                      spec: FeatureSpec, game_info: GameInfo) -> tuple[dict[str, np.ndarray], tuple[int, ...]]:
    """One bot command -> the policy's heads for `features`, and the unit tags it left out.

    The first `max_selected_units` of the command's units that are entities and may use the
    ability are selected; the others come back for a later step. `entity_tags[i]` is the tag of
    entity i (obs.units["tag"][spec.entity_rows(obs)]). Raises DemonstrationError.
    """
    a = action_type_for(command, spec, np.asarray(features["available_actions"]))
    kind = spec.action_table[a]
    action = no_op_action(spec)
    action["action_type"] = np.asarray(a, dtype=np.int64)
    if kind.queueable:
        action["queued"] = np.asarray(int(command.queued), dtype=np.int64)
    index_of = {int(tag): i for i, tag in enumerate(entity_tags)}
    types, alliances = features["entity_type"], features["entity_alliance"]
    tags = tuple(dict.fromkeys(int(t) for t in command.unit_tags))  # a repeated tag is one unit
    selectable = [index_of[t] for t in tags
                  if t in index_of and alliances[index_of[t]] == int(Alliance.Self)
                  and spec.unit_type_can_do[types[index_of[t]], a]]
    if not selectable:
        raise DemonstrationError("no_selectable_unit", f"{kind.name}: none of its {len(command.unit_tags)} units "
                                                        f"is an own entity that may use it")
    chosen = selectable[: spec.max_selected_units]
    action["selected_units"][: len(chosen)] = chosen
    chosen_tags = {int(entity_tags[i]) for i in chosen}
    left = tuple(t for t in tags if t not in chosen_tags and t in index_of)
    if kind.target is Target.UNIT:
        target = index_of.get(int(command.target_unit_tag))
        if target is None:
            raise DemonstrationError("target_not_entity", f"{kind.name}: target {command.target_unit_tag} is not an entity")
        if not (features["entity_mask"][target] and spec.target_alliance_ok[a, alliances[target]]
                and spec.target_type_ok[types[target], a]):
            raise DemonstrationError("target_not_legal", f"{kind.name}: entity {target} may not be its target")
        action["target_unit"] = np.asarray(target, dtype=np.int64)
    elif kind.target is Target.POINT:
        x, y = command.target_point
        action["target_location"] = np.asarray(spec.point_to_cell(np.float64(x), np.float64(y), game_info), dtype=np.int64)
    return action, left


@dataclasses.dataclass
class TeacherStats:
    bot_commands: int = 0  # commands the bot sent
    executed: int = 0  # actions sent (a command with many units can take several)
    no_ops: int = 0  # steps with nothing queued
    deferred: int = 0  # labels given while a student acted instead (agent.dagger)
    dropped: collections.Counter = dataclasses.field(default_factory=collections.Counter)  # reason -> commands


class Teacher:
    """A bot playing one command per agent step through the policy's action space."""

    def __init__(self, bot, spec: FeatureSpec, stats: Optional[TeacherStats] = None):
        self.bot = bot
        self.spec = spec
        self.stats = stats if stats is not None else TeacherStats()
        self.pending: collections.deque[RawCommand] = collections.deque()

    def act(self, obs: Observation, game_info: GameInfo, features: dict[str, np.ndarray],
            execute: bool = True) -> tuple[dict[str, np.ndarray], list[RawCommand]]:
        """This step's action (heads) and the commands that carry it out.

        With execute=False the action is only a label (a student acts this step, agent.dagger):
        nothing is sent and the queue is emptied, so the next step's label is the bot's answer to
        the state the student leads to, not a command planned for a state that has passed."""
        if not self.pending:
            fresh = self.bot.act(obs, game_info)
            self.stats.bot_commands += len(fresh)
            self.pending.extend(fresh)
        entity_tags = obs.units["tag"][self.spec.entity_rows(obs)]
        while self.pending:
            command = self.pending.popleft()
            try:
                action, left = command_to_action(command, features, entity_tags, self.spec, game_info)
            except DemonstrationError as error:
                self.stats.dropped[error.reason] += 1
                continue
            if not execute:
                self.pending.clear()
                self.stats.deferred += 1
                return action, []
            if left:  # the rest of a big selection goes next step, ahead of the queue
                self.pending.appendleft(dataclasses.replace(command, unit_tags=left))
            self.stats.executed += 1
            return action, to_commands(action, obs, game_info, self.spec)
        self.stats.no_ops += 1
        return no_op_action(self.spec), []


@dataclasses.dataclass
class Episode:
    """One recorded game of the teacher's seat: features and actions per decision."""

    obs: dict[str, np.ndarray]  # {feature: [N, ...]}
    actions: dict[str, np.ndarray]  # {head: [N, ...]}
    outcome: str  # WIN / LOSS / DRAW for the teacher's seat
    game_loops: int

    @property
    def length(self) -> int:
        return int(self.actions["action_type"].shape[0])


def decision_steps(is_command: np.ndarray, max_delay: int) -> tuple[np.ndarray, np.ndarray]:
    """The agent steps the policy decides at, and each decision's delay head, for a teacher that
    sent commands at the steps where `is_command` is True.

    As in AlphaStar's human data, the delay says when the next command comes (up to max_delay-1
    steps ahead); a longer quiet spell is bridged by no-ops that wait max_delay-1 steps. So the
    policy learns *when* from the delay head and *what* from the others, instead of guessing at
    every step whether the teacher's queue happened to be empty.
    """
    commands = np.flatnonzero(is_command)
    steps, delays = [], []
    step, total = 0, len(is_command)
    while step < total:
        later = commands[commands > step]
        next_command = int(later[0]) if len(later) else total
        delay = min(next_command - step - 1, max_delay - 1)
        steps.append(step)
        delays.append(delay)
        step += delay + 1
    return np.array(steps, dtype=np.int64), np.array(delays, dtype=np.int64)


def record_episode(env, teacher: Teacher, spec: FeatureSpec, student=None) -> Episode:
    """Play one game in `env` (seat 0 = the teacher) to the end; the episode holds the policy's
    decisions (`decision_steps`): the teacher's commands, their delays, and the bridging no-ops.

    With a `student` (agent.dagger.Student), the steps it takes over carry out its commands
    instead; the teacher still labels them, so the episode teaches what to do in the states the
    student's own play leads to (DAgger)."""
    from agent.actor import OUTCOME_BY_RESULT

    timestep = env.reset()[0]
    rows_obs, rows_actions = [], []
    while not timestep.last():
        features = spec.encode(timestep.observation, env.game_info)
        taken = student.act(timestep.observation, env.game_info) if student is not None else None
        action, commands = teacher.act(timestep.observation, env.game_info, features, execute=taken is None)
        rows_obs.append(features)
        rows_actions.append(action)
        timestep = env.step([commands if taken is None else taken])[0]
    if not rows_actions:
        raise DemonstrationError("empty_game", "the game ended before the first decision")
    is_command = np.array([int(a["action_type"]) != NO_OP for a in rows_actions])
    steps, delays = decision_steps(is_command, spec.max_delay)
    obs = FeatureSpec.stack([rows_obs[i] for i in steps])
    actions = FeatureSpec.stack([rows_actions[i] for i in steps])
    actions["delay"] = delays
    # The features' last-action fields are the previous *decision*'s, as the actor encodes them.
    obs["last_action_type"] = np.concatenate([[0], actions["action_type"][:-1]]).astype(np.int64)
    obs["last_delay"] = np.concatenate([[0], delays[:-1]]).astype(np.int64)
    return Episode(obs, actions, OUTCOME_BY_RESULT.get(int(timestep.result), "DRAW"),
                   int(timestep.observation.game_loop))


def save_episode(path: str, episode: Episode) -> str:
    arrays = {f"obs/{k}": v for k, v in episode.obs.items()}
    arrays.update({f"action/{k}": v for k, v in episode.actions.items()})
    arrays["outcome"] = np.asarray(OUTCOMES.index(episode.outcome), dtype=np.int64)
    arrays["game_loops"] = np.asarray(episode.game_loops, dtype=np.int64)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(wire.encode_arrays(arrays))
    os.replace(tmp, path)
    return path


def load_episode(path: str, spec: FeatureSpec) -> Episode:
    """Read and check one episode file against `spec`; raises wire.WireError on anything wrong."""
    with open(path, "rb") as f:
        arrays = wire.decode_arrays(f.read(), max_decoded_bytes=MAX_EPISODE_BYTES)
    obs = {k[4:]: v for k, v in arrays.items() if k.startswith("obs/")}
    actions = {k[7:]: v for k, v in arrays.items() if k.startswith("action/")}
    try:
        outcome = OUTCOMES[int(arrays["outcome"])]
        game_loops = int(arrays["game_loops"])
    except (KeyError, IndexError, TypeError) as error:
        raise wire.WireError(f"{path}: no valid outcome / game_loops ({error})") from None
    length = actions.get("action_type", np.zeros(0)).shape[0]
    for group, got, shapes in (("obs", obs, spec.shapes()), ("action", actions, spec.action_shapes())):
        if set(got) != set(shapes):
            raise wire.WireError(f"{path}: {group} arrays {sorted(got)} do not match the model's {sorted(shapes)}")
        for name, (shape, dtype) in shapes.items():
            if got[name].shape != (length, *shape) or got[name].dtype != dtype:
                raise wire.WireError(f"{path}: {group}/{name} is {got[name].shape} {got[name].dtype}, "
                                     f"expected {(length, *shape)} {dtype}")
    if length == 0:
        raise wire.WireError(f"{path}: the episode has no decisions")
    return Episode(obs, actions, outcome, game_loops)


def record_games(out_dir: str, teacher_level: str, opponents: list[str], games: int, spec: FeatureSpec,
                 env_settings: dict, seed: int, log: Callable[[str], None] = print,
                 new_student: Optional[Callable[[int], object]] = None) -> dict:
    """`games` games of the teacher bot against each opponent level, saved under out_dir;
    `new_student(game_seed)` gives each game a student that takes over some steps (DAgger)."""
    from sc2env.bots import TerranBot, profile_for
    from sc2env.env import make_env
    from sc2env.types import AgentPlayer, BotPlayer, Difficulty

    os.makedirs(out_dir, exist_ok=True)
    stats = TeacherStats()
    summary = {"teacher": teacher_level, "games": [], "stats": {}}
    for i, opponent in enumerate(opponents):
        for g in range(games):
            game_seed = seed + 1000 * i + g
            env = make_env(backend=env_settings.get("backend", "embedded"), map=env_settings.get("map", "Simple64"),
                           players=[AgentPlayer(), BotPlayer(difficulty=Difficulty.parse(opponent))],
                           step_mul=env_settings.get("step_mul", 8), seed=game_seed,
                           game_loop_limit=env_settings.get("game_loop_limit", 22400))
            try:
                bot = TerranBot(profile_for(Difficulty.parse(teacher_level)), seed=game_seed)
                student = new_student(game_seed) if new_student is not None else None
                episode = record_episode(env, Teacher(bot, spec, stats), spec, student)
            finally:
                env.close()
            name = f"{teacher_level}-vs-{opponent}-seed{game_seed}{EPISODE_SUFFIX}"
            save_episode(os.path.join(out_dir, name), episode)
            summary["games"].append({"file": name, "opponent": opponent, "seed": game_seed,
                                     "outcome": episode.outcome, "decisions": episode.length,
                                     "game_loops": episode.game_loops})
            log(f"demonstrations: {name}: {episode.outcome} after {episode.game_loops} loops, "
                f"{episode.length} decisions")
    summary["stats"] = {"bot_commands": stats.bot_commands, "executed": stats.executed, "no_ops": stats.no_ops,
                        "deferred": stats.deferred, "dropped": dict(stats.dropped)}
    return summary
