import io

import numpy as np
import pytest

from sc2env.replay_viewer import ViewerFrame, ViewerGame, game_to_json, render_viewer, write_viewer
from sc2env.types import PlayerCommon, empty_units


def synthetic_game(frames: int = 12, size: int = 32) -> ViewerGame:
    """Two armies walking toward each other; each side observes its own half of the map."""
    out = []
    for t in range(frames):
        units = empty_units(6)
        units["tag"] = np.arange(1, 7)
        units["unit_type"] = [48, 48, 48, 105, 105, 341]  # Marine x3, Zergling x2, MineralField
        units["owner"] = [1, 1, 1, 2, 2, 16]
        units["x"] = [4 + t, 5 + t, 6 + t, 28 - t, 27 - t, 16]
        units["y"] = [16, 17, 15, 16, 17, 2]
        units["radius"] = [0.375] * 5 + [1.0]
        units["health"] = [45, 45, 30, 35, 20, 0]
        units["health_max"] = [45, 45, 45, 35, 35, 0]
        left = np.zeros((size, size), np.uint8)
        left[:, : size // 2] = 2
        right = np.zeros((size, size), np.uint8)
        right[:, size // 2 :] = 2
        observed_p1 = units["x"] < size // 2
        observed_p2 = units["x"] >= size // 2
        out.append(
            ViewerFrame(
                game_loop=8 * t,
                units=units,
                observed_by=[observed_p1, observed_p2],
                visibility=[left, right],
                players=[PlayerCommon(minerals=50 + t, food_used=3, food_cap=15), PlayerCommon(minerals=75)],
            )
        )
    height = np.full((size, size), 120, np.uint8)
    pathable = np.ones((size, size), bool)
    pathable[:, 0] = False
    return ViewerGame("test game", "Simple64", height, pathable, ["p1", "p2"], {48: "Marine", 105: "Zergling"}, out)


def test_json_interns_repeated_fog_grids():
    data = game_to_json(synthetic_game())
    assert len(data["frames"]) == 12
    assert len(data["grids"]) == 2  # the same two grids in every frame
    assert data["frames"][0]["units"][0][:2] == [48, 1]


def test_script_end_tag_in_names_cannot_break_the_page():
    game = synthetic_game(2)
    game.unit_names[48] = "</script><b>x"
    assert "</script><b>" not in render_viewer(game)


def _blue_and_red_pixels(png: bytes) -> tuple[int, int]:
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    blue = np.sum((abs(pixels[..., 0] - 0x5A) < 12) & (abs(pixels[..., 1] - 0xA9) < 12) & (abs(pixels[..., 2] - 0xFF) < 12))
    red = np.sum((abs(pixels[..., 0] - 0xFF) < 12) & (abs(pixels[..., 1] - 0x6B) < 12) & (abs(pixels[..., 2] - 0x6B) < 12))
    return int(blue), int(red)


@pytest.mark.timeout(120)
def test_viewer_draws_units_and_fog_toggle_changes_the_view(tmp_path, browser_page):
    path = write_viewer(synthetic_game(), str(tmp_path / "viewer.html"))
    page = browser_page
    page.goto(f"file://{path}")
    page.evaluate("window.viewer.seek(window.viewer.frames - 2)")
    canvas = page.locator("#map")
    assert canvas.get_attribute("data-frame") == "10"
    assert canvas.get_attribute("data-units-drawn") == "6"
    assert "game loop 80" in page.inner_text("#loop")
    full_blue, full_red = _blue_and_red_pixels(canvas.screenshot())
    assert full_blue > 50 and full_red > 50

    page.select_option("#view", "p0")
    # At frame 10 the marines (x = 14..16) and zerglings (x = 17..18) straddle the middle:
    # player 1 observes only what is on its half.
    drawn = int(canvas.get_attribute("data-units-drawn"))
    assert 0 < drawn < 6
    fog_blue, fog_red = _blue_and_red_pixels(canvas.screenshot())
    assert fog_red < full_red

    page.click("#play")
    page.wait_for_function("document.getElementById('map').dataset.frame === '11'", timeout=10000)
