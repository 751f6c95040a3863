"""LSTM core: the agent's memory; state is batch-first (h, c), each [B, layers, hidden].

Its input (entity, spatial and scalar embeddings side by side) is layer-normalised first: the
embeddings are unbounded (the spatial one sums entity embeddings per cell), and when behaviour
cloning grew the spatial one from ~0.01 to ~130 the LSTM's gates saturated and its output
stopped changing over time (std 0.02), so no head could condition on the game's progress.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from agent.model.config import ModelConfig

State = tuple[Tensor, Tensor]


class Core(nn.Module):
    def __init__(self, config: ModelConfig, input_size: int):
        super().__init__()
        self.layers = config.lstm_layers
        self.hidden = config.lstm_hidden
        self.input_norm = nn.LayerNorm(input_size)
        self.lstm = nn.LSTM(input_size, config.lstm_hidden, num_layers=config.lstm_layers)

    def initial_state(self, batch_size: int, device=None) -> State:
        zeros = torch.zeros(batch_size, self.layers, self.hidden, device=device)
        return zeros, zeros.clone()

    def step(self, x: Tensor, state: State) -> tuple[Tensor, State]:
        """One step for a batch: x [B, I] -> output [B, H], new state."""
        h, c = (s.transpose(0, 1).contiguous() for s in state)
        out, (h, c) = self.lstm(self.input_norm(x).unsqueeze(0), (h, c))
        return out.squeeze(0), (h.transpose(0, 1).contiguous(), c.transpose(0, 1).contiguous())

    def unroll(self, x: Tensor, first: Tensor, state: State) -> tuple[Tensor, State]:
        """x [T, B, I]; first [T, B] True = reset the state to zeros before step t.

        The LSTM runs once per stretch of steps with no reset in any batch row, so an
        unroll with few episode starts costs a few LSTM calls instead of T.
        """
        x = self.input_norm(x)
        starts = [0] + [t for t in range(1, x.shape[0]) if bool(first[t].any())] + [x.shape[0]]
        h, c = (s.transpose(0, 1).contiguous() for s in state)
        outputs = []
        for begin, end in zip(starts[:-1], starts[1:]):
            keep = (~first[begin]).to(x.dtype)[None, :, None]
            out, (h, c) = self.lstm(x[begin:end], (h * keep, c * keep))
            outputs.append(out)
        return torch.cat(outputs), (h.transpose(0, 1).contiguous(), c.transpose(0, 1).contiguous())
