import asyncio

from services.storage import app
from shared.logging import setup_logging
from shared.settings import load_settings

settings = load_settings()
setup_logging(settings.log_level)
asyncio.run(app.main(settings))
