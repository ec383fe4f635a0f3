"""Every knob of the User Progress service (environment variables; see learnflow_common.settings)."""

from pydantic import Field, SecretStr, field_validator

from learnflow_common.settings import DaprAppSettings


class Settings(DaprAppSettings):
    #: Keys the leaderboard's display names (domain/pseudonyms.py). Changing it renames everyone;
    #: without it the names could be matched to guessed learner ids.
    pseudonym_key: SecretStr = Field(validation_alias="PSEUDONYM_KEY")
    #: GET /status answers kept for the learners read most recently (status_answers.py), each a few
    #: KB; 0 keeps none.
    status_answers_kept: int = Field(default=1024, ge=0, validation_alias="STATUS_ANSWERS_KEPT")

    @field_validator("pseudonym_key")
    @classmethod
    def _long_enough(cls, key: SecretStr) -> SecretStr:
        if len(key.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return key
