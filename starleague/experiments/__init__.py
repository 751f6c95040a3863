"""Learning experiments on the real pipeline: mini-game scores, league vs bots, replay x correction ablation.

One module per experiment (minigames, vs_bots, replay_ablation), run by `starleague experiment`;
shared parts: training (one learner + actor processes cell), scoring, records (state file,
provenance), tables, plots, references (the published numbers compared with).
"""
