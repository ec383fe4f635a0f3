"""The Dapr plumbing both apps use: the async sidecar client and its error classification (outage
or refusal), the actor base with its state transactions and outbox, the pooled actor HTTP client, the
turn limiter of actor calls, and an in-memory actor state for unit tests.

Health routes (``learnflow_common.health``), the app-token guard (``learnflow_common.middleware``)
and subscription deliveries (``learnflow_common.subscriptions``) live beside this package.
"""

from learnflow_common.dapr.errors import SidecarRefused, SidecarUnavailable
from learnflow_common.dapr.sidecar import DaprSidecar, StateEntry

__all__ = ["DaprSidecar", "SidecarRefused", "SidecarUnavailable", "StateEntry"]
