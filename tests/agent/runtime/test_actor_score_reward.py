"""rl.score_reward_scale: the actor pays the score's increase each env step, on top of the game's +1/-1."""

import numpy as np
import pytest

from agent.actor import EnvSlot, Unroll, score_reward, take_score_reward
from agent.rl.config import RLConfig
from agent.rl.errors import RLInputError
from sc2env.engine.minigames.agents import GATHER, MINERAL_TYPES, SCV
from sc2env.env import make_env
from sc2env.types import RawCommand, parse_player


def test_score_reward_is_the_scaled_increase():
    assert score_reward(100.0, 150.0, 0.01) == pytest.approx(0.5)
    assert score_reward(150.0, 150.0, 0.01) == 0.0


def test_a_negative_scale_is_refused():
    with pytest.raises(RLInputError, match="rl.score_reward_scale"):
        RLConfig(score_reward_scale=-1e-4).validate()


def test_mining_is_paid_as_it_happens_and_sums_to_the_scaled_score():
    env = make_env(backend="embedded", map="Simple64", players=[parse_player("agent"), parse_player("bot:veryeasy")],
                   step_mul=8, seed=0)
    try:
        timesteps = env.reset()
        obs = timesteps[0].observation
        slot = EnvSlot(env, None, timesteps, [], None, Unroll(), last_score=float(obs.score))
        own, neutral = obs.own_units(), obs.neutral_units()
        scvs = own[own["unit_type"] == SCV]
        fields = neutral[np.isin(neutral["unit_type"], MINERAL_TYPES)]
        cc_x, cc_y = float(scvs["x"].mean()), float(scvs["y"].mean())
        field = fields[np.argmin((fields["x"] - cc_x) ** 2 + (fields["y"] - cc_y) ** 2)]
        gather = [RawCommand(GATHER, tuple(int(t) for t in scvs["tag"]), target_unit_tag=int(field["tag"]))]
        scale, total, paid_steps = 1e-3, 0.0, 0
        for step in range(150):
            timesteps = env.step([gather if step == 0 else []])
            reward = take_score_reward(slot, timesteps[0].observation, scale)
            total += reward
            paid_steps += reward > 0
        final = float(timesteps[0].observation.score)
        assert final > 0, "the SCVs sent to mine brought nothing back"
        assert total == pytest.approx(scale * final)
        assert paid_steps >= 5, "the reward must come with each delivery, not once at the end"
        assert take_score_reward(slot, timesteps[0].observation, 0.0) == 0.0  # off: nothing paid
    finally:
        env.close()
