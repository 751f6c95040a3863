import pytest

from league.config import LeagueConfig
from league.payoff import PairStats, update_pair
from league.players import Player, Role
from league.ratings import Rating, inflate, rate_game, rate_period
from league.scoring import RatingState, ScoringRules, initial_rating, score_result


def test_payoff_decay_hand_computed():
    home, away = PairStats(), PairStats()
    for outcome in ("win", "win", "loss"):
        home, away = update_pair(home, away, outcome, decay=0.99)
    # after win: w=1 g=1; after win: w=1.99 g=1.99; after loss: w=1.9701 l=1 g=2.9701
    assert (home.wins, home.losses, home.games) == pytest.approx((1.9701, 1.0, 2.9701))
    assert home.win_rate == pytest.approx(1.9701 / 2.9701)
    assert (away.wins, away.losses, away.games) == pytest.approx((1.0, 1.9701, 2.9701))


def test_decay_follows_recent_games_and_draws_count_half():
    decayed, plain = (PairStats(), PairStats()), (PairStats(), PairStats())
    for outcome in ["loss"] * 100 + ["win"] * 100:
        decayed = update_pair(*decayed, outcome, decay=0.9)
        plain = update_pair(*plain, outcome, decay=1.0)
    assert plain[0].win_rate == pytest.approx(0.5)
    assert decayed[0].win_rate > 0.99
    draw, _ = update_pair(PairStats(), PairStats(), "draw", 0.99)
    assert draw.win_rate == 0.5
    assert PairStats().win_rate == 0.5  # never played


def test_glicko_matches_glickmans_worked_example():
    # Glickman (1999), "Parameter estimation in large dynamic paired comparison experiments", example:
    # r=1500 RD=200 vs (1400, 30) win, (1550, 100) loss, (1700, 300) loss -> r'=1464, RD'=151.4
    player = Rating(1500, 200)
    new = rate_period(player, [(Rating(1400, 30), 1.0), (Rating(1550, 100), 0.0), (Rating(1700, 300), 0.0)])
    assert new.rating == pytest.approx(1464, abs=0.5)
    assert new.deviation == pytest.approx(151.4, abs=0.2)


def test_rating_updates_and_anchor():
    anchor, player = Rating(0.0, 0.0), Rating(0.0, 350.0)
    new_anchor, new_player = rate_game(anchor, player, score_a=0.0, a_fixed=True)
    assert new_anchor == anchor  # the anchor never moves
    assert new_player.rating > 0 and new_player.deviation < 350
    a, b = rate_game(Rating(1500, 100), Rating(1500, 100), 1.0)
    assert a.rating > 1500 > b.rating and a.rating - 1500 == pytest.approx(1500 - b.rating)
    assert inflate(Rating(0, 50), drift=15, max_deviation=350).deviation == pytest.approx((50**2 + 15**2) ** 0.5)
    assert inflate(Rating(0, 349), drift=100, max_deviation=350).deviation == 350


def test_self_play_updates_one_payoff_entry_and_no_rating():
    rules = ScoringRules.from_config(LeagueConfig())
    me = RatingState(Rating(100, 80), fixed=False, learning=True)
    effects = score_result(PairStats(), PairStats(), me, me, "win", True, rules)
    assert effects.home_vs_away == PairStats(1, 0, 0, 1) and effects.home_rating == me.rating


def test_learning_players_gain_uncertainty_each_game():
    rules = ScoringRules(decay=0.99, drift=15.0, max_deviation=350.0, min_deviation=30.0)
    learner = RatingState(Rating(0, 100), fixed=False, learning=True)
    frozen = RatingState(Rating(0, 100), fixed=False, learning=False)
    bot = RatingState(Rating(0, 0), fixed=True, learning=False)
    after_learner = score_result(PairStats(), PairStats(), learner, bot, "draw", False, rules).home_rating
    after_frozen = score_result(PairStats(), PairStats(), frozen, bot, "draw", False, rules).home_rating
    assert after_learner.deviation > after_frozen.deviation


def test_bot_ladder_priors():
    config = LeagueConfig(anchor_rating=0.0, bot_rating_step=200.0)
    bot = Player("bot:medium", Role.BOT, "Terran", bot_difficulty="Medium")
    assert initial_rating(bot, config, bot_rank=2) == Rating(400.0, config.initial_rating_deviation)
    assert initial_rating(bot, config, bot_rank=0).deviation == 0.0


def test_measured_bot_ratings_replace_the_ladder_steps():
    config = LeagueConfig(bots=["VeryEasy", "Easy"], bot_ratings=[-50.0, 310.0])
    easy = Player("bot:easy", Role.BOT, "Terran", bot_difficulty="Easy")
    assert initial_rating(easy, config, bot_rank=1).rating == 310.0
    assert initial_rating(easy, config, bot_rank=0) == Rating(-50.0, 0.0)
    with pytest.raises(ValueError, match="2 bots"):
        initial_rating(easy, LeagueConfig(bots=["VeryEasy", "Easy"], bot_ratings=[0.0]), bot_rank=0)
