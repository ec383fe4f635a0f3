"""Field types both services validate the same way (ids that become actor ids and state keys)."""

from typing import Annotated

from pydantic import StringConstraints

#: Safe in URLs, state keys and actor ids: letters, digits and ``._:@-``, 1-128 characters.
LearnerId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")]
#: A curriculum topic slug: lower-case words joined by ``-``.
TopicSlug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
