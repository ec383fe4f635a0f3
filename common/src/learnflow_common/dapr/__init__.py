"""The Dapr plumbing both apps use: an async sidecar client, app-token checks, health routes."""

from learnflow_common.dapr.errors import EtagMismatch, SidecarRefused, SidecarUnavailable
from learnflow_common.dapr.sidecar import DaprSidecar, StateEntry

__all__ = ["DaprSidecar", "EtagMismatch", "SidecarRefused", "SidecarUnavailable", "StateEntry"]
