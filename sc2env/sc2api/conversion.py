"""The only bridge between SC2 API protos and sc2env.types.

Both directions exist: the client reads what a real (or embedded) game sends with the
`*_from_proto` functions; the embedded SC2 API server answers with the `*_to_proto`
ones. Where our types hold a field the round trip Observation -> proto -> Observation
is exact (float32 values, tags, orders up to MAX_ORDERS, buffs up to MAX_BUFFS). What our
types do not hold (passengers, rally targets, detect range, selection flags, chat,
alerts) is dropped on the way in. An ActionError's `reason` is not on the wire; on the
way in it is the ActionResult's name.

Static map grids (height, pathable, placeable) come from ResponseGameInfo.start_raw;
dynamic ones (visibility, creep) from the observation's map_state.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Optional, Sequence

import numpy as np
from s2clientprotocol import error_pb2, raw_pb2, sc2api_pb2, score_pb2

from sc2env.sc2api.images import decode_bool_image, decode_image, encode_image
from sc2env.types import (
    MAX_BUFFS,
    MAX_ORDERS,
    UNIT_DTYPE,
    ActionError,
    AgentPlayer,
    BotPlayer,
    Effect,
    GameInfo,
    MapPlanes,
    Observation,
    PlayerCommon,
    Race,
    RawCommand,
    Result,
)

PLAYER_COMMON_FIELDS = tuple(field.name for field in dataclasses.fields(PlayerCommon))

# Unit fields copied one to one between raw_pb2.Unit and a UNIT_DTYPE row.
_SCALAR_UNIT_FIELDS = (
    "tag",
    "unit_type",
    "alliance",
    "owner",
    "display_type",
    "cloak",
    "facing",
    "radius",
    "build_progress",
    "health",
    "health_max",
    "shield",
    "shield_max",
    "energy",
    "energy_max",
    "mineral_contents",
    "vespene_contents",
    "is_flying",
    "is_burrowed",
    "is_hallucination",
    "is_powered",
    "is_active",
    "attack_upgrade_level",
    "armor_upgrade_level",
    "shield_upgrade_level",
    "weapon_cooldown",
    "add_on_tag",
    "cargo_space_taken",
    "cargo_space_max",
    "assigned_harvesters",
    "ideal_harvesters",
    "engaged_target_tag",
)
_ZERO_ORDERS = (0,) * MAX_ORDERS


class ConversionError(ValueError):
    """A proto that cannot become our types (missing raw data, inconsistent sizes)."""


def action_result_name(result: int) -> str:
    """'NotEnoughMinerals' for 6, or 'ActionResult(999)' for an id this protocol lacks."""
    try:
        return error_pb2.ActionResult.Name(result)
    except ValueError:
        return f"ActionResult({result})"


# ---------------------------------------------------------------- units


def units_from_proto(units: Sequence[raw_pb2.Unit]) -> np.ndarray:
    """raw_pb2.Unit list -> UNIT_DTYPE table (all the raw fields our table holds)."""
    rows = []
    no_buffs = [0] * MAX_BUFFS
    for unit in units:
        orders = unit.orders
        if orders:
            order_ability = [0] * MAX_ORDERS
            order_x = [0.0] * MAX_ORDERS
            order_y = [0.0] * MAX_ORDERS
            order_tag = [0] * MAX_ORDERS
            order_progress = [0.0] * MAX_ORDERS
            for slot, order in enumerate(orders[:MAX_ORDERS]):
                order_ability[slot] = order.ability_id
                order_progress[slot] = order.progress
                target = order.WhichOneof("target")
                if target == "target_world_space_pos":
                    order_x[slot] = order.target_world_space_pos.x
                    order_y[slot] = order.target_world_space_pos.y
                elif target == "target_unit_tag":
                    order_tag[slot] = order.target_unit_tag
        else:  # most units are idle: share the zero slots (np.array copies them)
            order_ability = order_tag = _ZERO_ORDERS
            order_x = order_y = order_progress = _ZERO_ORDERS
        buff_ids = unit.buff_ids
        buffs = (list(buff_ids[:MAX_BUFFS]) + no_buffs)[:MAX_BUFFS] if buff_ids else no_buffs
        pos = unit.pos
        rows.append(
            (
                unit.tag,
                unit.unit_type,
                unit.alliance,
                unit.owner,
                unit.display_type,
                unit.cloak,
                pos.x,
                pos.y,
                pos.z,
                unit.facing,
                unit.radius,
                unit.build_progress,
                unit.health,
                unit.health_max,
                unit.shield,
                unit.shield_max,
                unit.energy,
                unit.energy_max,
                unit.mineral_contents,
                unit.vespene_contents,
                unit.is_flying,
                unit.is_burrowed,
                unit.is_hallucination,
                unit.is_powered,
                unit.is_active,
                unit.attack_upgrade_level,
                unit.armor_upgrade_level,
                unit.shield_upgrade_level,
                unit.weapon_cooldown,
                unit.add_on_tag,
                unit.cargo_space_taken,
                unit.cargo_space_max,
                unit.assigned_harvesters,
                unit.ideal_harvesters,
                unit.engaged_target_tag,
                len(unit.orders),
                order_ability,
                order_x,
                order_y,
                order_tag,
                order_progress,
                buffs,
            )
        )
    return np.array(rows, dtype=UNIT_DTYPE) if rows else np.zeros(0, dtype=UNIT_DTYPE)


def units_to_proto(units: np.ndarray, out) -> None:
    """UNIT_DTYPE table -> raw_pb2.Unit messages appended to `out` (a repeated Unit field)."""
    names = units.dtype.names
    index = {name: i for i, name in enumerate(names)}
    scalar = [(name, index[name]) for name in _SCALAR_UNIT_FIELDS]
    ix, iy, iz = index["x"], index["y"], index["z"]
    i_count, i_ability = index["order_count"], index["order_ability_id"]
    i_tx, i_ty, i_tag, i_progress = (index["order_target_x"], index["order_target_y"], index["order_target_tag"],
                                     index["order_progress"])
    i_buffs = index["buff_ids"]
    for row in units.tolist():  # python scalars (and lists for the order/buff slots): fast to read
        unit = out.add(**{name: row[i] for name, i in scalar})
        unit.pos.x, unit.pos.y, unit.pos.z = row[ix], row[iy], row[iz]
        for slot in range(min(row[i_count], MAX_ORDERS)):
            order = unit.orders.add(ability_id=row[i_ability][slot], progress=row[i_progress][slot])
            tag, x, y = row[i_tag][slot], row[i_tx][slot], row[i_ty][slot]
            if tag:
                order.target_unit_tag = tag
            elif x or y:
                order.target_world_space_pos.x, order.target_world_space_pos.y = x, y
        unit.buff_ids.extend(b for b in row[i_buffs] if b)


# ---------------------------------------------------------------- game info


def game_info_from_proto(info: sc2api_pb2.ResponseGameInfo) -> GameInfo:
    """ResponseGameInfo -> GameInfo (map, playable area, start locations, races by player id)."""
    raw = info.start_raw
    players = sorted(info.player_info, key=lambda p: p.player_id)
    return GameInfo(
        map_name=info.map_name,
        map_size=(raw.map_size.x, raw.map_size.y),
        playable_min=(raw.playable_area.p0.x, raw.playable_area.p0.y),
        playable_max=(raw.playable_area.p1.x, raw.playable_area.p1.y),
        start_locations=tuple((p.x, p.y) for p in raw.start_locations),
        player_races=tuple(Race(p.race_actual or p.race_requested) for p in players),
    )


def game_info_to_proto(
    info: GameInfo,
    height: np.ndarray,
    pathable: np.ndarray,
    placeable: np.ndarray,
    players: Sequence[AgentPlayer | BotPlayer] = (),
    local_map_path: str = "",
) -> sc2api_pb2.ResponseGameInfo:
    """GameInfo + static grids -> ResponseGameInfo as the real game sends it (raw interface)."""
    response = sc2api_pb2.ResponseGameInfo(map_name=info.map_name, local_map_path=local_map_path)
    for player_id, race in enumerate(info.player_races, start=1):
        seat = players[player_id - 1] if player_id - 1 < len(players) else None
        player = response.player_info.add(player_id=player_id, race_requested=int(race), race_actual=int(race))
        if isinstance(seat, BotPlayer):
            player.type = sc2api_pb2.Computer
            player.difficulty = int(seat.difficulty)
            player.ai_build = sc2api_pb2.AIBuild.Value(seat.build)
        else:
            player.type = sc2api_pb2.Participant
            if seat is not None:
                player.player_name = seat.name
    raw = response.start_raw
    raw.map_size.x, raw.map_size.y = info.map_size
    raw.playable_area.p0.x, raw.playable_area.p0.y = info.playable_min
    raw.playable_area.p1.x, raw.playable_area.p1.y = info.playable_max
    for x, y in info.start_locations:
        raw.start_locations.add(x=x, y=y)
    raw.terrain_height.CopyFrom(encode_image(height, 8))
    raw.pathing_grid.CopyFrom(encode_image(pathable, 1))
    raw.placement_grid.CopyFrom(encode_image(placeable, 1))
    response.options.raw = True
    response.options.score = True
    return response


# ---------------------------------------------------------------- observations


def _static_planes(info: sc2api_pb2.ResponseGameInfo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    raw = info.start_raw
    width, height = raw.map_size.x, raw.map_size.y
    if not raw.HasField("terrain_height"):
        raise ConversionError("ResponseGameInfo has no start_raw grids; join the game with the raw interface")
    grids = (
        decode_image(raw.terrain_height).astype(np.uint8),
        decode_bool_image(raw.pathing_grid),
        decode_bool_image(raw.placement_grid),
    )
    for name, grid in zip(("terrain_height", "pathing_grid", "placement_grid"), grids):
        if grid.shape != (height, width):
            raise ConversionError(f"game info {name} is {grid.shape[::-1]}, map is {width}x{height}")
    return grids


def observation_from_proto(
    response: sc2api_pb2.ResponseObservation, game_info: sc2api_pb2.ResponseGameInfo
) -> Observation:
    """ResponseObservation (raw interface) + ResponseGameInfo -> Observation."""
    observation = response.observation
    if not observation.HasField("raw_data"):
        raise ConversionError("observation has no raw_data; join the game with InterfaceOptions(raw=True)")
    raw = observation.raw_data
    height, pathable, placeable = _static_planes(game_info)
    shape = height.shape
    visibility = (
        decode_image(raw.map_state.visibility).astype(np.uint8)
        if raw.map_state.HasField("visibility")
        else np.zeros(shape, np.uint8)
    )
    creep = decode_bool_image(raw.map_state.creep) if raw.map_state.HasField("creep") else np.zeros(shape, bool)
    if visibility.shape != shape or creep.shape != shape:
        raise ConversionError(f"map state grids {visibility.shape}/{creep.shape} differ from the map {shape}")
    common = observation.player_common
    return Observation(
        game_loop=observation.game_loop,
        player=PlayerCommon(**{name: getattr(common, name) for name in PLAYER_COMMON_FIELDS}),
        units=units_from_proto(raw.units),
        map=MapPlanes(height=height, pathable=pathable, placeable=placeable, visibility=visibility, creep=creep),
        available_abilities=np.array([a.ability_id for a in observation.abilities], dtype=np.int32),
        upgrades=np.array(list(raw.player.upgrade_ids), dtype=np.int32),
        action_errors=[
            ActionError(unit_tag=e.unit_tag, ability_id=e.ability_id, result=e.result, reason=action_result_name(e.result))
            for e in response.action_errors
        ],
        effects=[
            Effect(
                effect_id=e.effect_id,
                alliance=e.alliance,
                owner=e.owner,
                radius=e.radius,
                positions=np.array([(p.x, p.y) for p in e.pos], dtype=np.float32).reshape(-1, 2),
            )
            for e in raw.effects
        ],
        score=float(observation.score.score),
    )


def observation_to_proto(
    observation: Observation, player_results: Sequence[tuple[int, Result]] = ()
) -> sc2api_pb2.ResponseObservation:
    """Observation -> ResponseObservation as the real game sends it to a raw-interface player."""
    response = sc2api_pb2.ResponseObservation()
    for error in observation.action_errors:
        response.action_errors.add(unit_tag=error.unit_tag, ability_id=error.ability_id, result=error.result)
    for player_id, result in player_results:
        response.player_result.add(player_id=player_id, result=int(result))
    out = response.observation
    out.game_loop = observation.game_loop
    for name in PLAYER_COMMON_FIELDS:
        setattr(out.player_common, name, int(getattr(observation.player, name)))
    for ability_id in observation.available_abilities:
        out.abilities.add(ability_id=int(ability_id))
    out.score.score_type = score_pb2.Score.Melee
    out.score.score = int(round(observation.score))
    raw = out.raw_data
    raw.player.upgrade_ids.extend(int(u) for u in observation.upgrades)
    units_to_proto(observation.units, raw.units)
    raw.map_state.visibility.CopyFrom(encode_image(observation.map.visibility, 8))
    raw.map_state.creep.CopyFrom(encode_image(observation.map.creep, 1))
    for effect in observation.effects:
        out_effect = raw.effects.add(
            effect_id=effect.effect_id, alliance=effect.alliance, owner=effect.owner, radius=effect.radius
        )
        for x, y in np.asarray(effect.positions, dtype=np.float32).reshape(-1, 2):
            out_effect.pos.add(x=float(x), y=float(y))
    return response


def results_from_proto(player_results: Iterable[sc2api_pb2.PlayerResult]) -> dict[int, Result]:
    """player_result list -> {player_id: Result} (empty while the game runs)."""
    return {r.player_id: Result(r.result) for r in player_results}


# ---------------------------------------------------------------- commands


def command_to_proto(command: RawCommand) -> raw_pb2.ActionRawUnitCommand:
    """RawCommand -> ActionRawUnitCommand (same semantics; the target oneof set as given)."""
    proto = raw_pb2.ActionRawUnitCommand(
        ability_id=int(command.ability_id), unit_tags=list(command.unit_tags), queue_command=bool(command.queued)
    )
    if command.target_point is not None:
        proto.target_world_space_pos.x, proto.target_world_space_pos.y = command.target_point
    elif command.target_unit_tag is not None:
        proto.target_unit_tag = int(command.target_unit_tag)
    return proto


def command_from_proto(proto: raw_pb2.ActionRawUnitCommand) -> RawCommand:
    """ActionRawUnitCommand -> RawCommand (the inverse of command_to_proto)."""
    target = proto.WhichOneof("target")
    point = unit_tag = None
    if target == "target_world_space_pos":
        point = (proto.target_world_space_pos.x, proto.target_world_space_pos.y)
    elif target == "target_unit_tag":
        unit_tag = proto.target_unit_tag
    return RawCommand(
        ability_id=proto.ability_id,
        unit_tags=tuple(proto.unit_tags),
        target_point=point,
        target_unit_tag=unit_tag,
        queued=proto.queue_command,
    )


def action_to_proto(commands: Sequence[RawCommand]) -> sc2api_pb2.RequestAction:
    """One step's commands -> RequestAction (one Action per command, as pysc2 sends them)."""
    request = sc2api_pb2.RequestAction()
    for command in commands:
        request.actions.add().action_raw.unit_command.CopyFrom(command_to_proto(command))
    return request


def commands_from_action(request: sc2api_pb2.RequestAction) -> list[Optional[RawCommand]]:
    """RequestAction -> one entry per Action: the raw unit command, or None for anything else
    (camera moves, autocast toggles, feature-layer/UI actions, chat)."""
    out: list[Optional[RawCommand]] = []
    for action in request.actions:
        raw = action.action_raw
        out.append(command_from_proto(raw.unit_command) if raw.WhichOneof("action") == "unit_command" else None)
    return out

