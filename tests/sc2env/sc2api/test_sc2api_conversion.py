"""sc2env.sc2api.conversion: protos <-> our types, as a real game sends them."""

from __future__ import annotations

import numpy as np
import pytest

import sc2env  # noqa: F401  (applies the protobuf compatibility fix)
from s2clientprotocol import common_pb2, raw_pb2, sc2api_pb2
from sc2env.sc2api import conversion, images
from sc2env.sc2api.compare import observation_differences
from sc2env.types import (
    ActionError,
    Alliance,
    BotPlayer,
    AgentPlayer,
    CloakState,
    Difficulty,
    DisplayType,
    Effect,
    GameInfo,
    MapPlanes,
    Observation,
    PlayerCommon,
    Race,
    RawCommand,
    Result,
    empty_units,
)

WIDTH, HEIGHT = 13, 11  # odd sizes: 1-bit grids do not end on a byte boundary


def hand_built_observation(rng: np.random.Generator) -> Observation:
    units = empty_units(5)
    units["tag"] = [0x100000001, 0x100040001, 0x1000C0001, 0x100080001, 0x100100001]
    # SCV (own, carrying orders), marine snapshot? no: enemy Hatchery snapshot, mineral field,
    # burrowed cloaked enemy roach, own banshee cloaked.
    units["unit_type"] = [45, 86, 341, 110, 55]
    units["alliance"] = [Alliance.Self, Alliance.Enemy, Alliance.Neutral, Alliance.Enemy, Alliance.Self]
    units["owner"] = [1, 2, 16, 2, 1]
    units["display_type"] = [DisplayType.Visible, DisplayType.Snapshot, DisplayType.Visible, DisplayType.Visible, 1]
    units["cloak"] = [CloakState.NotCloaked, CloakState.NotCloaked, CloakState.NotCloaked, CloakState.CloakedDetected,
                      CloakState.Cloaked]
    units["x"] = rng.uniform(0, WIDTH, 5).astype(np.float32)
    units["y"] = rng.uniform(0, HEIGHT, 5).astype(np.float32)
    units["z"] = rng.uniform(9, 12, 5).astype(np.float32)
    units["facing"] = rng.uniform(0, 6.28, 5).astype(np.float32)
    units["radius"] = [0.375, 2.75, 1.125, 0.625, 0.75]
    units["build_progress"] = [1.0, 1.0, 1.0, 1.0, 0.5]
    units["health"] = [45, 1500, 0, 101.5, 70]
    units["health_max"] = [45, 1500, 0, 145, 140]
    units["energy"] = [0, 0, 0, 0, 37.25]
    units["energy_max"] = [0, 0, 0, 0, 200]
    units["mineral_contents"] = [0, 0, 1800, 0, 0]
    units["is_flying"] = [False, False, False, False, True]
    units["is_burrowed"] = [False, False, False, True, False]
    units["is_hallucination"] = [False, False, False, False, False]
    units["is_powered"] = [False, False, False, False, False]
    units["is_active"] = [True, False, False, False, False]
    units["attack_upgrade_level"] = [0, 0, 0, 1, 0]
    units["armor_upgrade_level"] = [0, 0, 0, 2, 0]
    units["weapon_cooldown"] = [0, 0, 0, 3.5, 0]
    units["assigned_harvesters"] = [0, 12, 0, 0, 0]
    units["ideal_harvesters"] = [0, 16, 0, 0, 0]
    units["engaged_target_tag"] = [0, 0, 0, 0x100000001, 0]
    units["add_on_tag"] = [0, 0, 0, 0, 0]
    # SCV: gather (unit target) then a queued move (point target), then a no-target order.
    units["order_count"][0] = 3
    units["order_ability_id"][0, :3] = [295, 16, 18]
    units["order_target_tag"][0, 0] = 0x1000C0001
    units["order_target_x"][0, 1], units["order_target_y"][0, 1] = 10.5, 3.25
    units["order_progress"][0, 0] = 0.25
    units["buff_ids"][3, :2] = [45, 12]  # two buffs
    units["buff_ids"][4, 0] = 7
    map_planes = MapPlanes(
        height=rng.integers(0, 256, (HEIGHT, WIDTH)).astype(np.uint8),
        pathable=rng.random((HEIGHT, WIDTH)) < 0.6,
        placeable=rng.random((HEIGHT, WIDTH)) < 0.4,
        visibility=rng.integers(0, 3, (HEIGHT, WIDTH)).astype(np.uint8),
        creep=rng.random((HEIGHT, WIDTH)) < 0.2,
    )
    return Observation(
        game_loop=1344,
        player=PlayerCommon(player_id=1, minerals=75, vespene=8, food_cap=15, food_used=13, food_army=1,
                            food_workers=12, idle_worker_count=2, army_count=1),
        units=units,
        map=map_planes,
        available_abilities=np.array([1, 4, 16, 23, 295, 524], np.int32),
        upgrades=np.array([7, 15], np.int32),
        action_errors=[ActionError(unit_tag=0x100000001, ability_id=318, result=9, reason="NotEnoughMinerals")],
        effects=[Effect(effect_id=5, alliance=Alliance.Enemy, owner=2, radius=2.0,
                        positions=np.array([[3.5, 4.5], [5.0, 6.0]], np.float32))],
        score=1234.0,
    )


def static_game_info(obs: Observation) -> sc2api_pb2.ResponseGameInfo:
    info = GameInfo(map_name="Tiny", map_size=(WIDTH, HEIGHT), playable_min=(1, 1), playable_max=(12, 10),
                    start_locations=((10.5, 8.5),), player_races=(Race.Terran, Race.Zerg))
    players = [AgentPlayer(race=Race.Terran), BotPlayer(race=Race.Zerg, difficulty=Difficulty.Hard, build="Rush")]
    return conversion.game_info_to_proto(info, obs.map.height, obs.map.pathable, obs.map.placeable, players)


def test_observation_round_trip_is_exact():
    obs = hand_built_observation(np.random.default_rng(0))
    proto = conversion.observation_to_proto(obs)
    # Through bytes, as it crosses the websocket.
    proto = sc2api_pb2.ResponseObservation.FromString(proto.SerializeToString())
    info = sc2api_pb2.ResponseGameInfo.FromString(static_game_info(obs).SerializeToString())
    back = conversion.observation_from_proto(proto, info)
    assert observation_differences(obs, back, compare_reasons=True) == []


def test_round_trip_detects_a_changed_field():
    """The comparison the round-trip test relies on does see differences."""
    obs = hand_built_observation(np.random.default_rng(1))
    back = conversion.observation_from_proto(conversion.observation_to_proto(obs), static_game_info(obs))
    back.units["order_target_y"][0, 1] = 3.0
    back.map.creep[0, 0] = not back.map.creep[0, 0]
    differences = observation_differences(obs, back)
    assert any("order_target_y" in d for d in differences)
    assert any("map.creep" in d for d in differences)


def test_game_info_from_proto():
    obs = hand_built_observation(np.random.default_rng(2))
    proto = static_game_info(obs)
    info = conversion.game_info_from_proto(proto)
    assert info.map_size == (WIDTH, HEIGHT)
    assert info.playable_min == (1, 1) and info.playable_max == (12, 10)
    assert info.start_locations == ((10.5, 8.5),)
    assert info.player_races == (Race.Terran, Race.Zerg)
    assert proto.player_info[1].type == sc2api_pb2.Computer
    assert proto.player_info[1].difficulty == sc2api_pb2.Hard
    assert proto.player_info[1].ai_build == sc2api_pb2.Rush


def real_game_unit() -> raw_pb2.Unit:
    """A unit with every field a real game sets, including ones our table does not keep."""
    unit = raw_pb2.Unit(
        display_type=raw_pb2.Visible, alliance=raw_pb2.Self, tag=4302045185, unit_type=54, owner=1,
        facing=1.5, radius=0.5625, build_progress=1.0, cloak=raw_pb2.NotCloaked, detect_range=0, radar_range=0,
        is_selected=True, is_on_screen=True, is_blip=False, is_powered=False, is_active=True,
        attack_upgrade_level=1, armor_upgrade_level=0, shield_upgrade_level=0, health=150, health_max=150,
        energy=50, energy_max=200, is_flying=False, is_burrowed=False, is_hallucination=False,
        weapon_cooldown=0, cargo_space_taken=2, cargo_space_max=8, buff_duration_remain=3, buff_duration_max=10,
    )
    unit.pos.x, unit.pos.y, unit.pos.z = 30.25, 40.5, 11.98
    unit.passengers.add(tag=4301, health=45, health_max=45, unit_type=48)
    unit.rally_targets.add(point=common_pb2.Point(x=1, y=2))
    for i in range(6):  # a queue longer than MAX_ORDERS
        order = unit.orders.add(ability_id=16, progress=0.0)
        order.target_world_space_pos.x, order.target_world_space_pos.y = float(i), float(i + 1)
    unit.buff_ids.extend([1, 2, 3])  # more buffs than MAX_BUFFS
    return unit


def test_units_from_proto_reads_every_field_and_truncates_queues():
    table = conversion.units_from_proto([real_game_unit()])
    row = table[0]
    assert row["tag"] == 4302045185 and row["unit_type"] == 54 and row["alliance"] == Alliance.Self
    assert row["x"] == np.float32(30.25) and row["z"] == np.float32(11.98)
    assert row["energy"] == 50 and row["cargo_space_taken"] == 2 and row["attack_upgrade_level"] == 1
    assert row["order_count"] == 6  # whole queue length is kept
    assert list(row["order_target_x"]) == [0, 1, 2, 3] and list(row["order_target_y"]) == [1, 2, 3, 4]
    assert list(row["buff_ids"]) == [1, 2]


def test_snapshot_and_neutral_units_with_unset_fields():
    snapshot = raw_pb2.Unit(display_type=raw_pb2.Snapshot, alliance=raw_pb2.Enemy, tag=77, unit_type=86, owner=2,
                            radius=2.75)
    snapshot.pos.x, snapshot.pos.y = 5, 6
    rock = raw_pb2.Unit(display_type=raw_pb2.Visible, alliance=raw_pb2.Neutral, tag=78, unit_type=472, owner=16,
                        health=2000, health_max=2000)
    geyser = raw_pb2.Unit(display_type=raw_pb2.Visible, alliance=raw_pb2.Neutral, tag=79, unit_type=342, owner=16,
                          vespene_contents=2250)
    table = conversion.units_from_proto([snapshot, rock, geyser])
    assert list(table["display_type"]) == [DisplayType.Snapshot, DisplayType.Visible, DisplayType.Visible]
    assert table["health"][0] == 0 and table["cloak"][0] == CloakState.CloakedUnknown
    assert list(table["alliance"]) == [Alliance.Enemy, Alliance.Neutral, Alliance.Neutral]
    assert table["vespene_contents"][2] == 2250
    assert conversion.units_from_proto([]).dtype == table.dtype


def test_images_decode_both_depths():
    grid = np.random.default_rng(3).random((HEIGHT, WIDTH)) < 0.5
    one_bit = images.encode_image(grid, 1)
    assert len(one_bit.data) == (WIDTH * HEIGHT + 7) // 8
    assert np.array_equal(images.decode_image(one_bit), grid)
    eight_bit = images.encode_image(grid.astype(np.uint8) * 255, 8)  # old games: 0/255 per cell
    assert np.array_equal(images.decode_bool_image(eight_bit), grid)
    # Bit order is MSB first, row 0 = lowest y: cell (x=0, y=0) is the top bit of byte 0.
    first = np.zeros((HEIGHT, WIDTH), bool)
    first[0, 0] = True
    assert images.encode_image(first, 1).data[0] == 0x80


@pytest.mark.parametrize(
    "image",
    [
        common_pb2.ImageData(bits_per_pixel=8, size=common_pb2.Size2DI(x=4, y=4), data=b"\x00" * 15),
        common_pb2.ImageData(bits_per_pixel=1, size=common_pb2.Size2DI(x=4, y=4), data=b"\x00" * 3),
        common_pb2.ImageData(bits_per_pixel=4, size=common_pb2.Size2DI(x=4, y=4), data=b"\x00" * 8),
    ],
)
def test_malformed_images_are_clear_errors(image):
    with pytest.raises(images.ImageDataError):
        images.decode_image(image)


def test_observation_without_raw_data_is_a_clear_error():
    obs = hand_built_observation(np.random.default_rng(4))
    with pytest.raises(conversion.ConversionError, match="raw"):
        conversion.observation_from_proto(sc2api_pb2.ResponseObservation(), static_game_info(obs))
    with pytest.raises(conversion.ConversionError, match="raw"):
        conversion.observation_from_proto(conversion.observation_to_proto(obs), sc2api_pb2.ResponseGameInfo())


def test_action_errors_carry_the_action_result_name():
    response = sc2api_pb2.ResponseObservation()
    response.action_errors.add(unit_tag=1, ability_id=318, result=9)
    response.action_errors.add(unit_tag=2, ability_id=16, result=214)
    obs = hand_built_observation(np.random.default_rng(5))
    response.observation.CopyFrom(conversion.observation_to_proto(obs).observation)
    back = conversion.observation_from_proto(response, static_game_info(obs))
    assert [e.reason for e in back.action_errors] == ["NotEnoughMinerals", "CantFindCancelOrder"]
    assert conversion.action_result_name(9999) == "ActionResult(9999)"  # from a newer game


@pytest.mark.parametrize(
    "command",
    [
        RawCommand(ability_id=16, unit_tags=(1, 2), target_point=(10.5, 20.25)),
        RawCommand(ability_id=23, unit_tags=(3,), target_unit_tag=0x100040001, queued=True),
        RawCommand(ability_id=524, unit_tags=(4,)),
    ],
)
def test_command_round_trip(command):
    proto = conversion.command_to_proto(command)
    proto = raw_pb2.ActionRawUnitCommand.FromString(proto.SerializeToString())
    assert conversion.command_from_proto(proto) == command


def test_action_request_keeps_order_and_skips_non_raw_actions():
    commands = [RawCommand(16, (1,), target_point=(1.0, 2.0)), RawCommand(4, (2, 3))]
    request = conversion.action_to_proto(commands)
    request.actions.add().action_raw.camera_move.center_world_space.x = 5
    assert conversion.commands_from_action(request) == commands + [None]


def test_results_from_proto():
    response = sc2api_pb2.ResponseObservation()
    response.player_result.add(player_id=1, result=sc2api_pb2.Victory)
    response.player_result.add(player_id=2, result=sc2api_pb2.Defeat)
    assert conversion.results_from_proto(response.player_result) == {1: Result.Victory, 2: Result.Defeat}


# ------------------------------------------------------------------ engine observations


@pytest.mark.timeout(120)
@pytest.mark.parametrize("map_name, players", [
    ("Simple64", [AgentPlayer(), BotPlayer(difficulty=Difficulty.Hard)]),
    ("CollectMineralShards", [AgentPlayer()]),
])
def test_engine_observations_round_trip_exactly(map_name, players):
    from sc2env.engine.environment import EmbeddedEnv

    env = EmbeddedEnv(map_name=map_name, players=players, step_mul=16, seed=4, game_loop_limit=1600)
    timesteps = env.reset()
    checked = 0
    for step in range(40):
        obs = timesteps[0].observation
        info = conversion.game_info_to_proto(env.game_info, obs.map.height, obs.map.pathable, obs.map.placeable)
        wire = sc2api_pb2.ResponseObservation.FromString(conversion.observation_to_proto(obs).SerializeToString())
        back = conversion.observation_from_proto(wire, sc2api_pb2.ResponseGameInfo.FromString(info.SerializeToString()))
        assert observation_differences(obs, back) == [], f"step {step}"
        assert conversion.game_info_from_proto(info) == env.game_info
        checked += len(obs.units)
        own = obs.own_units()
        commands = []
        if len(own):
            # Move everything around; bad targets now and then (ActionErrors on the wire too).
            tags = tuple(int(t) for t in own["tag"][:3])
            commands.append(RawCommand(16, tags, target_point=(10.0 + step % 30, 12.0 + step % 20)))
            if step % 5 == 0:
                commands.append(RawCommand(23, tags[:1], target_unit_tag=1))
        timesteps = env.step([commands] + [[] for _ in timesteps[1:]])
        if timesteps[0].last():
            break
    assert checked > 0
