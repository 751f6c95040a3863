"""Arguments and wiring shared by `learner`, `actor` and `train`: auth, TLS, policy, env."""

from __future__ import annotations

import argparse
import signal
import threading

from agent import transport


def add_auth_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--token-file", default=None,
                        help="file holding the shared auth token (default: $STARLEAGUE_TOKEN_FILE or $STARLEAGUE_TOKEN)")
    parser.add_argument("--tls-cert", default="", help="server: PEM certificate (enables TLS with --tls-key)")
    parser.add_argument("--tls-key", default="", help="server: PEM private key")
    parser.add_argument("--tls-ca", default="", help="client: PEM CA certificate to verify servers (enables TLS)")


def auth_from(args: argparse.Namespace) -> tuple[str, transport.TLSFiles]:
    try:
        token = transport.load_token(args.token_file)
    except transport.TransportError as error:
        raise SystemExit(f"auth error: {error}") from None
    return token, transport.TLSFiles(cert=args.tls_cert, key=args.tls_key, ca=args.tls_ca)


def build_policy(model_config):
    from agent.model.policy import build_policy as build

    return build(model_config)


def env_factory(env_config):
    """MatchPlan -> Env: the learning seat first; a bot, or a second agent seat for a policy opponent.

    A single-seat scenario map (the pysc2 mini-games) gets the learning seat only: there is
    no opponent to play, whatever the match names."""
    from sc2env.engine.scenario import is_scenario
    from sc2env.env import make_env
    from sc2env.types import AgentPlayer, BotPlayer, Difficulty, Race

    def make(match):
        player = AgentPlayer(race=Race[match.player_race.capitalize()])
        map_name = match.map or env_config.map
        if is_scenario(map_name):
            return make_env(backend=env_config.backend, map=map_name, players=[player], step_mul=env_config.step_mul,
                            seed=match.seed, **_backend_extra(env_config, scenario=True))
        if match.opponent_kind == "bot":
            other = BotPlayer(race=Race[match.opponent_race.capitalize()], difficulty=Difficulty.parse(match.bot_difficulty))
        else:
            other = AgentPlayer(race=Race[match.opponent_race.capitalize()], name=match.opponent_id)
        return make_env(backend=env_config.backend, map=map_name, players=[player, other],
                        step_mul=env_config.step_mul, seed=match.seed, **_backend_extra(env_config))

    return make


def _backend_extra(env_config, scenario: bool = False) -> dict:
    # A scenario's own time limit stands (the mini-games' 120 s, ...); melee games take the config's.
    extra = {} if scenario else {"game_loop_limit": env_config.game_loop_limit}
    if env_config.backend == "sc2" and env_config.sc2_path:
        extra["sc2_path"] = env_config.sc2_path
    return extra


def stop_on_signals(stop) -> threading.Event:
    """SIGTERM and SIGINT call `stop()` once (the loop then checkpoints and exits)."""
    called = threading.Event()

    def handler(signum, frame):
        if not called.is_set():
            called.set()
            stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return called
