"""Export a replay as a video: an animated GIF (Pillow) or an MP4 (imageio-ffmpeg).

Draws the same picture as the HTML viewer's full-map view: terrain, units coloured by
owner and sized by radius, a health bar over each player unit, the game loop.
"""

from __future__ import annotations

import os

import numpy as np

from sc2env.replay_viewer import ViewerGame

OWNER_COLOURS = {1: (90, 169, 255), 2: (255, 107, 107)}
NEUTRAL_COLOUR = (106, 211, 224)


class VideoError(RuntimeError):
    """The video cannot be written (e.g. the MP4 encoder is not installed)."""


def _terrain(game: ViewerGame, scale: int) -> np.ndarray:
    height = game.height_map.astype(np.float32)
    value = np.where(game.pathable, 40 + height * 0.5, 12).astype(np.uint8)
    rgb = np.stack([value, np.minimum(value.astype(np.int32) + 6, 255).astype(np.uint8), value], axis=-1)
    rgb = rgb[::-1]  # SC2 grids grow upward, images downward
    return np.kron(rgb, np.ones((scale, scale, 1), dtype=np.uint8))


def render_frames(game: ViewerGame, scale: int = 6):
    """PIL images, one per viewer frame."""
    from PIL import Image, ImageDraw

    base = _terrain(game, scale)
    h = game.height_map.shape[0]
    images = []
    for frame in game.frames:
        image = Image.fromarray(base.copy())
        draw = ImageDraw.Draw(image)
        units = frame.units
        for u in units:
            owner = int(u["owner"])
            r = max(2.0, float(u["radius"]) * scale)
            cx, cy = float(u["x"]) * scale, (h - float(u["y"])) * scale
            colour = OWNER_COLOURS.get(owner, NEUTRAL_COLOUR)
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
            if owner in OWNER_COLOURS:
                total = float(u["health_max"] + u["shield_max"]) or 1.0
                fraction = float(u["health"] + u["shield"]) / total
                draw.rectangle([cx - r, cy - r - 4, cx + r, cy - r - 2], fill=(64, 0, 0))
                draw.rectangle([cx - r, cy - r - 4, cx - r + 2 * r * fraction, cy - r - 2], fill=(60, 200, 60))
        draw.text((4, 4), f"game loop {frame.game_loop}", fill=(230, 230, 230))
        images.append(image)
    return images


def write_video(game: ViewerGame, path: str, fps: int = 10, scale: int = 6) -> str:
    """Write `path` (.gif or .mp4) atomically; returns the path."""
    if not game.frames:
        raise VideoError("the replay has no frames to draw")
    images = render_frames(game, scale)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".tmp-{os.getpid()}-{os.path.basename(path)}")
    if path.endswith(".gif"):
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    elif path.endswith(".mp4"):
        try:
            import imageio.v2 as imageio
        except ImportError:
            raise VideoError("MP4 export needs imageio and imageio-ffmpeg: pip install 'starleague[video]'") from None
        with imageio.get_writer(tmp, format="FFMPEG", fps=fps, codec="libx264", macro_block_size=1) as writer:
            for image in images:
                writer.append_data(np.asarray(image))
    else:
        raise VideoError(f"{path}: the video must end in .gif or .mp4")
    os.replace(tmp, path)
    return path
