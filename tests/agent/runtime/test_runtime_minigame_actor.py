"""`starleague actor` on a single-seat mini-game map: one agent seat, real learner process."""

import re

import portpicker
import pytest

import runtime_processes as procs


@pytest.mark.timeout(300)
def test_actor_plays_a_minigame_and_streams_to_the_learner(tmp_path):
    port = portpicker.pick_unused_port()
    run = str(tmp_path)
    learner = procs.learner(run, port)
    learner.wait_for(r"serving on port")
    actor = procs.actor(run, port, "--set", "env.map=MoveToBeacon", "--opponent", "bot:easy", "--envs", "2",
                        "--frames", "3000")
    try:
        assert actor.popen.wait(timeout=240) == 0, actor.text()[-3000:]
        done = re.search(r"done: ActorStats\(frames=(\d+), decisions=\d+, episodes=(\d+), trajectories=(\d+), "
                         r"sent=(\d+)", actor.text())
        assert done, actor.text()[-3000:]
        frames, episodes, trajectories, sent = map(int, done.groups())
        assert frames >= 3000 and sent > 0 and sent == trajectories
        learner.wait_for(r"accepted [1-9]", timeout=60)
        rejected = re.findall(r"rejected (\d+)", learner.text())  # the learner's running totals
        assert rejected and set(rejected) == {"0"}, learner.text()[-3000:]
    finally:
        actor.stop()
        learner.stop()
