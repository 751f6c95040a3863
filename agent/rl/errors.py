"""The one exception type of the RL core (`agent.rl`)."""


class RLInputError(ValueError):
    """A tensor, dict of heads, config value or replay payload given to `agent.rl` is wrong.

    The message names the argument, what was expected and what came instead.
    """
