"""Where the live link sends: the target (the Blender add-on or a VMC receiver), the
address and port. Bad settings are refused at once, naming what is allowed; any address
but loopback must be opted into, and the user is told the stream is unauthenticated."""
from __future__ import annotations

from dataclasses import dataclass

from .blender_addon.receiver import LOOPBACK, check_address, check_port

TARGETS = ("blender", "vmc")
#: the add-on's default port, and VMC's usual "marionette" port (protocol.vmc.info)
DEFAULT_PORTS = {"blender": 47120, "vmc": 39539}
UNAUTHENTICATED = ("the live stream is unauthenticated and unencrypted: anyone on that "
                   "network can read it, and a receiver there accepts poses from anyone")


@dataclass(frozen=True)
class StreamSettings:
    target: str = "blender"       # "blender" (the add-on's format) | "vmc"
    port: int | None = None       # None: DEFAULT_PORTS[target]
    host: str = LOOPBACK          # where the receiver listens; loopback unless opted in
    allow_remote: bool = False    # the user's opt-in to a non-loopback address

    def __post_init__(self):
        if self.target not in TARGETS:
            raise ValueError(f"unknown stream target {self.target!r}; choose one of "
                             f"{', '.join(TARGETS)}")
        if self.port is not None:
            object.__setattr__(self, "port", check_port(self.port))
        object.__setattr__(self, "host", check_address(self.host, self.allow_remote))

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port or DEFAULT_PORTS[self.target]

    @property
    def warning(self) -> str | None:
        """What the user must be told before streaming off this computer."""
        import ipaddress
        if ipaddress.ip_address(self.host).is_loopback:
            return None
        return f"streaming to {self.host}: {UNAUTHENTICATED}"
