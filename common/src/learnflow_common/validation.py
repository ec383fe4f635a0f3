"""Field types both services validate the same way (ids that become actor ids and state keys)."""

import re
from typing import Annotated

from pydantic import StringConstraints

#: Safe in URLs, state keys and actor ids: letters, digits and ``._:@-``, 1-128 characters.
LEARNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
LearnerId = Annotated[str, StringConstraints(pattern=LEARNER_ID.pattern)]
#: A curriculum topic slug: lower-case words joined by ``-``.
TopicSlug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
