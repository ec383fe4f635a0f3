"""Field types both services validate the same way: every id a client or an event hands us.

Ids become actor ids, state keys, URL path segments and values inside PostgreSQL JSONB documents.
JSONB refuses ``\\u0000`` and control characters make keys and logs ambiguous, so an id that is not
safe is refused with 422 (or, in an event, dead-lettered) before anything is stored: the store
never gets the chance to fail on it, which the client would see as "try again later".
"""

import re
from typing import Annotated

from pydantic import StringConstraints

#: The one safe id: ASCII letters and digits and ``._:@-``, 1-128 characters, the first a letter or
#: digit. Learner ids, event ids, request ids and CloudEvent ids all follow it.
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}"
SAFE_ID = re.compile(ID_PATTERN)
SafeId = Annotated[str, StringConstraints(pattern=f"^{ID_PATTERN}$")]

#: Kept by their own names where the meaning helps; the rule is :data:`SAFE_ID`.
LEARNER_ID = SAFE_ID
LearnerId = SafeId

#: A lesson id is made by the Course Agent: its learner's id, ``~`` and 32 hex digits, so the lesson's
#: owner (and actor) is found from the id alone.
LESSON_ID_SEPARATOR = "~"
LESSON_ID = re.compile(f"({ID_PATTERN}){LESSON_ID_SEPARATOR}[0-9a-f]{{32}}")
LessonId = Annotated[str, StringConstraints(pattern=f"^{LESSON_ID.pattern}$")]
#: A reference to a lesson sent with a learning event: a Course Agent lesson id, or any safe id (a
#: lesson of another source).
LessonRef = Annotated[str, StringConstraints(pattern=f"^(?:{ID_PATTERN}|{LESSON_ID.pattern})$")]

#: An ISO week ``2026-W47`` (ASCII digits; weeks 01-53).
ISO_WEEK_PATTERN = r"^[0-9]{4}-W(?:0[1-9]|[1-4][0-9]|5[0-3])$"
IsoWeek = Annotated[str, StringConstraints(pattern=ISO_WEEK_PATTERN)]

#: A curriculum topic slug: lower-case words joined by ``-``.
TopicSlug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]


def is_safe_id(value: str) -> bool:
    """Whether ``value`` is a safe id (the whole string, no trailing newline)."""
    return SAFE_ID.fullmatch(value) is not None


def owner_of_lesson(lesson_id: str) -> str | None:
    """The learner id inside a well-formed lesson id, else ``None``."""
    match = LESSON_ID.fullmatch(lesson_id)
    return match.group(1) if match else None
