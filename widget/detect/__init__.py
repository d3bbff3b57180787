"""Pure decisions over numbers: persistence and cooldown, faces, identity, sound, WAV encoding.

Nothing here sleeps, fetches or reads the clock: time comes in as a number (seconds), so a test
can replay a minute in a millisecond. numpy is the only dependency.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Finding:
    """A decided violation: the event type, a sentence for people, and the measured facts."""

    type: str
    description: str
    details: dict[str, Any] = field(default_factory=dict)
