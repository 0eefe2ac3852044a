"""`python -m services.api`: the HTTP gateway on its own."""

import asyncio

from services.api import app
from shared.logging import setup_logging
from shared.settings import load_settings

settings = load_settings()
setup_logging(settings.log_level)
asyncio.run(app.main(settings))
