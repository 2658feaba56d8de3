"""The RAM the models of one firmware take for their tensors, from their manifest entries
(utensor_models.json; stdlib only: the PlatformIO extra script imports it).

A model converted without --shared-arena has its own arena (state and scratch). Models
converted with it share one arena sized for the largest scratch (utensor_shared_arena),
and each stateful one among them adds its state, in a buffer of its own
(utensor_state_<name>): the shared scratch counts once, every state apart.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Sequence

MIN_BUFFER = 16  # bytes: the generated code never declares a smaller arena


def scratch_bytes(model: dict) -> int:
    """A manifest entry's arena but its state: what it needs of a shared arena."""
    return max(int(model["arena_bytes"]) - int(model.get("state_bytes") or 0), MIN_BUFFER)


@dataclass
class FirmwareRam:
    own_arenas: Dict[str, int] = field(default_factory=dict)  # models with an arena of their own
    shared_scratch: int = 0  # utensor_shared_arena (0: no model shares)
    shared_by: List[str] = field(default_factory=list)  # the models sharing it, largest scratch first
    states: Dict[str, int] = field(default_factory=dict)  # shared models' own state buffers

    @property
    def total(self) -> int:
        return sum(self.own_arenas.values()) + self.shared_scratch + sum(self.states.values())

    def describe(self) -> str:
        """One line: what the total is made of."""
        parts = [f"{name} arena {n:,} B" for name, n in self.own_arenas.items()]
        if self.shared_by:
            parts.append(f"shared arena {self.shared_scratch:,} B (the largest scratch of "
                         f"{', '.join(self.shared_by)}: {self.shared_by[0]}'s)")
        parts += [f"{name} state {n:,} B" for name, n in self.states.items()]
        return f"{self.total:,} B of RAM for tensors: " + " + ".join(parts)


def firmware_ram(models: Sequence[dict]) -> FirmwareRam:
    r = FirmwareRam()
    shared = [m for m in models if m.get("shared_arena")]
    for m in models:
        if not m.get("shared_arena"):
            r.own_arenas[m["name"]] = int(m["arena_bytes"])
    if shared:
        ranked = sorted(shared, key=lambda m: -scratch_bytes(m))
        r.shared_scratch = scratch_bytes(ranked[0])
        r.shared_by = [m["name"] for m in ranked]
        r.states = {m["name"]: int(m["state_bytes"]) for m in shared if int(m.get("state_bytes") or 0)}
    return r
