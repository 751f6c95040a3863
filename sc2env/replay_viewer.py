"""A self-contained HTML replay viewer for embedded-engine games.

The page holds everything (data as JSON, drawing code, styles): it opens offline from a
file. It shows the map's terrain, every unit drawn by type and owner with a health bar,
play / pause / seek / speed, the game loop and each side's supply and resources, and a
toggle between the full map and each player's fog-of-war view (only the units that
player observed, with unseen and fogged cells shaded).

Input is a `ViewerGame`: frames of the full unit table plus, per player, which units it
observed and its visibility grid. `sc2env.replay.viewer_game_from_replay` builds one by
re-simulating a replay file.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import os
from typing import Sequence

import numpy as np

from sc2env.types import PlayerCommon


@dataclasses.dataclass
class ViewerFrame:
    game_loop: int
    units: np.ndarray  # UNIT_DTYPE rows: every unit in the game
    observed_by: Sequence[np.ndarray]  # per player: bool [len(units)], the units it observed
    visibility: Sequence[np.ndarray]  # per player: uint8 [H, W], 0 hidden 1 fogged 2 visible
    players: Sequence[PlayerCommon]


@dataclasses.dataclass
class ViewerGame:
    title: str
    map_name: str
    height_map: np.ndarray  # uint8 [H, W]
    pathable: np.ndarray  # bool [H, W]
    player_names: Sequence[str]
    unit_names: dict[int, str]  # unit type id -> name
    frames: Sequence[ViewerFrame]
    result: str = ""


def _grid_b64(grid: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(grid, dtype=np.uint8).tobytes()).decode("ascii")


def game_to_json(game: ViewerGame) -> dict:
    """The compact JSON the page reads. Units: [type, owner, x, y, radius, health
    fraction, observed-by bitmask, tag]; visibility grids are base64 bytes, stored once
    and referenced by index when unchanged."""
    grids: list[str] = []
    grid_index: dict[str, int] = {}

    def intern(grid: np.ndarray) -> int:
        key = _grid_b64(grid)
        if key not in grid_index:
            grid_index[key] = len(grids)
            grids.append(key)
        return grid_index[key]

    frames = []
    for frame in game.frames:
        units = frame.units
        mask = np.zeros(len(units), dtype=np.int64)
        for player, observed in enumerate(frame.observed_by):
            mask |= np.asarray(observed, dtype=np.int64) << player
        total = units["health"] + units["shield"]
        total_max = np.maximum(units["health_max"] + units["shield_max"], 1e-6)
        rows = np.stack(
            [
                units["unit_type"].astype(np.float64),
                units["owner"].astype(np.float64),
                np.round(units["x"].astype(np.float64), 2),
                np.round(units["y"].astype(np.float64), 2),
                np.round(units["radius"].astype(np.float64), 2),
                np.round(total / total_max, 3),
                mask.astype(np.float64),
                units["tag"].astype(np.float64),
            ],
            axis=1,
        ) if len(units) else np.zeros((0, 8))
        frames.append(
            {
                "loop": int(frame.game_loop),
                "units": [[float(v) if i in (2, 3, 4, 5) else int(v) for i, v in enumerate(row)] for row in rows],
                "vis": [intern(v) for v in frame.visibility],
                "players": [
                    {"minerals": p.minerals, "vespene": p.vespene, "food_used": p.food_used, "food_cap": p.food_cap}
                    for p in frame.players
                ],
            }
        )
    h, w = game.height_map.shape
    return {
        "title": game.title,
        "map": game.map_name,
        "width": int(w),
        "height": int(h),
        "terrain": _grid_b64(game.height_map),
        "pathable": _grid_b64(game.pathable.astype(np.uint8)),
        "players": list(game.player_names),
        "unit_names": {str(k): v for k, v in game.unit_names.items()},
        "grids": grids,
        "frames": frames,
        "result": game.result,
    }


_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>__TITLE__</title>
<style>
body{font-family:sans-serif;background:#1d1f21;color:#ddd;margin:0;padding:10px}
#bar{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:6px 0}
#hud{display:flex;gap:24px;margin:6px 0;font-size:14px}
.p1{color:#5aa9ff}.p2{color:#ff6b6b}
canvas{background:#000;image-rendering:pixelated;border:1px solid #444}
button,select{background:#333;color:#ddd;border:1px solid #555;padding:3px 8px}
#seek{width:420px}
</style></head>
<body>
<div><b>__TITLE__</b> &mdash; <span id="mapname"></span> <span id="result"></span></div>
<div id="bar">
 <button id="play">play</button>
 <input id="seek" type="range" min="0" value="0">
 <label>speed <select id="speed"><option>0.5</option><option selected>1</option><option>2</option><option>4</option><option>8</option></select></label>
 <label>view <select id="view"><option value="full">full map</option></select></label>
 <span id="loop"></span>
</div>
<div id="hud"></div>
<canvas id="map" width="640" height="640"></canvas>
<script id="replay-data" type="application/json">__DATA__</script>
<script>
"use strict";
const data = JSON.parse(document.getElementById("replay-data").textContent);
const W = data.width, H = data.height;
const canvas = document.getElementById("map"), ctx = canvas.getContext("2d");
const scale = Math.max(2, Math.floor(640 / Math.max(W, H)));
canvas.width = W * scale; canvas.height = H * scale;
const decode = s => Uint8Array.from(atob(s), c => c.charCodeAt(0));
const terrain = decode(data.terrain), pathable = decode(data.pathable);
const grids = data.grids.map(decode);
const OWNER_COLOURS = {0: "#6ad3e0", 1: "#5aa9ff", 2: "#ff6b6b", 16: "#6ad3e0"};
document.getElementById("mapname").textContent = data.map;
document.getElementById("result").textContent = data.result;
const viewSelect = document.getElementById("view");
data.players.forEach((name, i) => {
  const o = document.createElement("option"); o.value = "p" + i; o.textContent = name + " (fog of war)";
  viewSelect.appendChild(o);
});
const seek = document.getElementById("seek");
seek.max = data.frames.length - 1;
let frameIndex = 0, playing = false, lastTick = 0;
const terrainImage = ctx.createImageData(W * scale, H * scale);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
  const src = y * W + x;
  const v = pathable[src] ? 40 + terrain[src] * 0.5 : 12;
  for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) {
    const p = (((H - 1 - y) * scale + dy) * W * scale + x * scale + dx) * 4;
    terrainImage.data[p] = v; terrainImage.data[p + 1] = v + 6; terrainImage.data[p + 2] = v; terrainImage.data[p + 3] = 255;
  }
}
function shortName(type) {
  const name = data.unit_names[String(type)] || String(type);
  return name.replace(/[a-z]/g, "").slice(0, 3) || name.slice(0, 2);
}
function draw() {
  const frame = data.frames[frameIndex];
  const view = viewSelect.value;
  ctx.putImageData(terrainImage, 0, 0);
  let player = -1;
  if (view !== "full") {
    player = Number(view.slice(1));
    const vis = grids[frame.vis[player]];
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const v = vis[y * W + x];
      if (v === 2) continue;
      ctx.fillStyle = v === 1 ? "rgba(0,0,0,0.45)" : "rgba(0,0,0,0.8)";
      ctx.fillRect(x * scale, (H - 1 - y) * scale, scale, scale);
    }
  }
  let drawn = 0;
  for (const u of frame.units) {
    const [type, owner, x, y, radius, health, observedBy] = u;
    if (player >= 0 && !((observedBy >> player) & 1)) continue;
    const cx = x * scale, cy = (H - y) * scale, r = Math.max(2, radius * scale);
    ctx.fillStyle = OWNER_COLOURS[owner] || "#cccccc";
    ctx.beginPath(); ctx.arc(cx, cy, r, 0, 2 * Math.PI); ctx.fill();
    if (r >= 5) { ctx.fillStyle = "#000"; ctx.font = Math.min(12, r) + "px sans-serif"; ctx.textAlign = "center"; ctx.fillText(shortName(type), cx, cy + 4); }
    if (owner === 1 || owner === 2) {
      ctx.fillStyle = "#400"; ctx.fillRect(cx - r, cy - r - 4, 2 * r, 3);
      ctx.fillStyle = health > 0.5 ? "#3c3" : health > 0.25 ? "#cc3" : "#c33"; ctx.fillRect(cx - r, cy - r - 4, 2 * r * health, 3);
    }
    drawn++;
  }
  canvas.dataset.unitsDrawn = String(drawn);
  canvas.dataset.frame = String(frameIndex);
  canvas.dataset.view = view;
  document.getElementById("loop").textContent = "game loop " + frame.loop + " (" + (frame.loop / 22.4).toFixed(0) + " s)";
  document.getElementById("hud").innerHTML = frame.players.map((p, i) =>
    `<span class="p${i + 1}">${data.players[i]}: ${p.minerals} minerals, ${p.vespene} gas, supply ${p.food_used}/${p.food_cap}</span>`).join("");
  seek.value = frameIndex;
}
function tick(now) {
  if (playing) {
    const speed = Number(document.getElementById("speed").value);
    if (now - lastTick > 100 / speed) {
      lastTick = now;
      if (frameIndex < data.frames.length - 1) { frameIndex++; draw(); } else { setPlaying(false); }
    }
    requestAnimationFrame(tick);
  }
}
function setPlaying(on) {
  playing = on; document.getElementById("play").textContent = on ? "pause" : "play";
  if (on) requestAnimationFrame(tick);
}
document.getElementById("play").onclick = () => setPlaying(!playing);
seek.oninput = () => { frameIndex = Number(seek.value); draw(); };
viewSelect.onchange = draw;
window.viewer = {seek: i => { frameIndex = Math.max(0, Math.min(data.frames.length - 1, i)); draw(); },
                 frames: data.frames.length};
draw();
</script></body></html>
"""


def render_viewer(game: ViewerGame) -> str:
    payload = json.dumps(game_to_json(game), separators=(",", ":"))
    # JSON inside a <script> element: only "</" could end it early.
    payload = payload.replace("</", "<\\/")
    return _PAGE.replace("__TITLE__", html.escape(game.title)).replace("__DATA__", payload)


def write_viewer(game: ViewerGame, path: str) -> str:
    """Write the viewer page atomically; returns its path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(render_viewer(game))
    os.replace(tmp, path)
    return path
