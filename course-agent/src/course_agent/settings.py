"""Every knob of the Course Agent service (environment variables; see learnflow_common.settings)."""

from typing import Literal

from pydantic import Field

from learnflow_common.settings import DaprAppSettings


class Settings(DaprAppSettings):
    #: Lessons are always composed from the bank (built-in content and accepted variants), never by a
    #: model in the request path. ``llm`` also runs the offline variant generator
    #: (``adapters/variants.py``): a model behind the Dapr conversation component
    #: CONVERSATION_COMPONENT proposes new items, which enter the bank only once verified.
    lesson_generator: Literal["builtin", "llm"] = Field(default="builtin", validation_alias="LESSON_GENERATOR")
    conversation_component: str = Field(default="lesson-llm", validation_alias="CONVERSATION_COMPONENT")
    #: How long one model call may take (the worker waits, no learner does).
    llm_timeout_seconds: float = Field(default=60.0, gt=0, validation_alias="LLM_TIMEOUT_SECONDS")
    #: Jobs waiting for the generator (more are dropped, counted), and how many run at once.
    variant_queue_size: int = Field(default=32, ge=1, validation_alias="VARIANT_QUEUE_SIZE")
    variant_workers: int = Field(default=1, ge=1, le=8, validation_alias="VARIANT_WORKERS")
    #: A topic level is asked for again on a struggling learner's progress at most this often.
    variant_cooldown_seconds: float = Field(default=600.0, ge=0, validation_alias="VARIANT_COOLDOWN_SECONDS")
    #: Generating a lesson costs far more than a write: a tighter limit than the shared default.
    rate_limit_per_minute: int = Field(default=20, ge=1, validation_alias="RATE_LIMIT_PER_MINUTE")
    rate_limit_burst: int = Field(default=5, ge=1, validation_alias="RATE_LIMIT_BURST")
