"""`python -m services.collector`: poll the inventory's devices and publish to NATS."""

import asyncio

from services.collector import app
from shared.logging import setup_logging
from shared.settings import load_settings

settings = load_settings()
setup_logging(settings.log_level)
asyncio.run(app.main(settings))
