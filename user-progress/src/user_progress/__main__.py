"""`python3 -m user_progress`: serve the app on APP_PORT (the variable dapr run and the launcher set)."""

import uvicorn

from user_progress.settings import Settings

settings = Settings()
uvicorn.run(
    "user_progress.app:create_app",
    factory=True,
    host=settings.app_host,
    port=settings.app_port,
    log_level=settings.log_level,
    access_log=False,
    timeout_keep_alive=settings.keep_alive_seconds,
)
