"""starleague replays list / watch on real engine replays, checked in headless Chromium."""

import os
import subprocess
import sys

import pytest

from league.config import LeagueConfig
from league.league import League
from league.store import LeagueStore
from sc2env.env import make_env
from sc2env.types import BotPlayer, Difficulty


def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "starleague", "replays", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def bot_game_replay(tmp_path_factory):
    """A short bot-vs-bot game on Simple64, saved as an engine replay."""
    env = make_env("embedded", map="Simple64", players=[BotPlayer(difficulty=Difficulty.Hard),
                                                        BotPlayer(difficulty=Difficulty.Medium)],
                   seed=3, game_loop_limit=1600)
    env.run_bots_until_end()
    path = env.save_replay(str(tmp_path_factory.mktemp("replays") / "game.slrp"))
    env.close()
    return path


@pytest.mark.timeout(300)
def test_watch_writes_a_viewer_that_draws_units_and_fog(bot_game_replay, tmp_path, browser_page):
    html = str(tmp_path / "game.html")
    out = _cli("watch", bot_game_replay, "--out", html, "--no-open", "--every", "4")
    assert out.returncode == 0, out.stdout + out.stderr
    page = browser_page
    page.goto(f"file://{html}")
    page.evaluate("window.viewer.seek(window.viewer.frames - 1)")
    canvas = page.locator("#map")
    full = int(canvas.get_attribute("data-units-drawn"))
    assert full > 30  # two bases: command centres, SCVs, minerals, geysers, depots...
    assert "game loop 1600" in page.inner_text("#loop")
    full_png = canvas.screenshot()
    page.select_option("#view", "p0")
    fogged = int(canvas.get_attribute("data-units-drawn"))
    assert 0 < fogged < full  # player 1 does not see the other main base
    assert canvas.screenshot() != full_png


def test_watch_exports_a_gif(bot_game_replay, tmp_path):
    from PIL import Image

    gif = str(tmp_path / "game.gif")
    out = _cli("watch", bot_game_replay, "--out", gif, "--gif", "--every", "20")
    assert out.returncode == 0, out.stdout + out.stderr
    image = Image.open(gif)
    assert image.n_frames > 5


def test_watch_exports_an_mp4(bot_game_replay, tmp_path):
    imageio = pytest.importorskip("imageio.v2", reason="MP4 export needs the video extra (imageio, imageio-ffmpeg)")
    mp4 = str(tmp_path / "game.mp4")
    out = _cli("watch", bot_game_replay, "--out", mp4, "--mp4", "--every", "20")
    assert out.returncode == 0, out.stdout + out.stderr
    reader = imageio.get_reader(mp4)
    assert reader.count_frames() > 5


def test_watch_rejects_corrupt_and_unknown_replays(bot_game_replay, tmp_path):
    truncated = tmp_path / "cut.slrp"
    truncated.write_bytes(open(bot_game_replay, "rb").read()[:40])
    out = _cli("watch", str(truncated), "--no-open")
    assert out.returncode == 2 and "cut.slrp" in out.stdout
    out = _cli("watch", "no-such-match", "--store", str(tmp_path / "none.sqlite"))
    assert out.returncode != 0 and "no-such-match" in out.stdout + out.stderr
    real = os.path.join(os.path.dirname(__file__), "..", "data", "sc2replays", "short-1v1.SC2Replay")
    out = _cli("watch", real)
    if not os.environ.get("SC2PATH"):
        assert out.returncode == 2 and "no StarCraft II is installed" in out.stdout


def test_list_filters_by_player_opponent_and_result(bot_game_replay, tmp_path):
    store_path = str(tmp_path / "league.sqlite")
    with LeagueStore(store_path) as store:
        league = League(store, LeagueConfig(), str(tmp_path / "snapshots"))
        league.report_eval("main_0", "easy", "loss", version=4, game_loops=2400, map="Simple64",
                           replay_path=bot_game_replay, eval_id="a")
        league.report_eval("main_0", "medium", "win", version=4, game_loops=1200, map="Simple64",
                           replay_path=bot_game_replay, eval_id="b")
        league.report_eval("main_0", "medium", "win", version=4, game_loops=1200, map="Simple64", eval_id="no-replay")
    out = _cli("list", "--store", store_path)
    assert out.returncode == 0, out.stderr
    assert "2 replay(s)" in out.stdout
    out = _cli("list", "--store", store_path, "--player", "main_0", "--result", "loss")
    assert "1 replay(s)" in out.stdout and "bot:easy" in out.stdout
    out = _cli("list", "--store", store_path, "--vs", "bot:medium", "--since", "1h")
    assert "1 replay(s)" in out.stdout and "bot:medium" in out.stdout
    out = _cli("list", "--store", str(tmp_path / "missing.sqlite"))
    assert out.returncode == 2 and "missing.sqlite" in out.stdout
