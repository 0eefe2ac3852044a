"""Process-wide logging setup: one line per record, service name included."""

from __future__ import annotations

import logging


def setup_logging(level: str = "INFO") -> None:
    """Configure the root logger once per process."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    for noisy in ("asyncssh", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
