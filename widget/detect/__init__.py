"""Pure decisions over numbers: persistence and cooldown, faces, identity, sound, WAV encoding.

Nothing here sleeps, fetches or reads the clock: time comes in as a number (seconds), so a test
can replay a minute in a millisecond. numpy is the only dependency.
"""

from dataclasses import dataclass, field
from typing import Any, Sequence


def intersection(a: Sequence[float], b: Sequence[float]) -> float:
    """The area two boxes (x, y, width, height, as fractions of the frame) have in common."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy


@dataclass
class Finding:
    """A decided violation: the event type, a sentence for people, and the measured facts."""

    type: str
    description: str
    details: dict[str, Any] = field(default_factory=dict)
