"""Every knob of the User Progress service (environment variables; see learnflow_common.settings)."""

from pydantic import Field, SecretStr, field_validator

from learnflow_common.settings import DaprAppSettings


class Settings(DaprAppSettings):
    #: Keys the leaderboard's display names (domain/pseudonyms.py). Changing it renames everyone;
    #: without it the names could be matched to guessed learner ids.
    pseudonym_key: SecretStr = Field(validation_alias="PSEUDONYM_KEY")

    @field_validator("pseudonym_key")
    @classmethod
    def _long_enough(cls, key: SecretStr) -> SecretStr:
        if len(key.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return key
