"""Every knob of the User Progress service (environment variables; see learnflow_common.settings)."""

from learnflow_common.settings import DaprAppSettings


class Settings(DaprAppSettings):
    """Nothing of its own yet beyond the shared Dapr app settings."""
