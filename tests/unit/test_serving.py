"""How the apps serve HTTP: rules that only show under load or after idle time."""

from __future__ import annotations

from devstack.testing import AppAuth
from user_progress.settings import Settings

#: daprd's idle timeout for its connections to the app (Go's http.DefaultTransport.IdleConnTimeout,
#: which daprd's app channel keeps: dapr/pkg/runtime/channels/channels.go).
DAPRD_IDLE_CONNECTION_SECONDS = 90


def test_the_app_keeps_idle_connections_longer_than_its_sidecar_does(app_auth: AppAuth) -> None:
    """Else the app closes an idle connection as daprd sends an actor call on it: EOF, then a 503."""
    settings = app_auth.settings(Settings, "user-progress")

    assert settings.keep_alive_seconds > DAPRD_IDLE_CONNECTION_SECONDS
