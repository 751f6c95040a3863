"""League composition and matchmaking settings (AlphaStar paper defaults)."""

import dataclasses


@dataclasses.dataclass
class LeagueConfig:
    address: str = "localhost:50061"
    main_agents: int = 1
    main_exploiters: int = 1
    league_exploiters: int = 0
