"""Every knob of the Course Agent service (environment variables; see learnflow_common.settings)."""

from typing import Literal

from pydantic import Field

from learnflow_common.settings import DaprAppSettings


class Settings(DaprAppSettings):
    #: ``builtin`` (default, no network) or ``llm``: a model behind a Dapr conversation component,
    #: validated against the lesson schema, with the built-in generator as the fallback.
    lesson_generator: Literal["builtin", "llm"] = Field(default="builtin", validation_alias="LESSON_GENERATOR")
    conversation_component: str = Field(default="lesson-llm", validation_alias="CONVERSATION_COMPONENT")
    llm_timeout_seconds: float = Field(default=20.0, validation_alias="LLM_TIMEOUT_SECONDS")
    #: Generating a lesson costs far more than a write: a tighter limit than the shared default.
    rate_limit_per_minute: int = Field(default=20, ge=1, validation_alias="RATE_LIMIT_PER_MINUTE")
    rate_limit_burst: int = Field(default=5, ge=1, validation_alias="RATE_LIMIT_BURST")
