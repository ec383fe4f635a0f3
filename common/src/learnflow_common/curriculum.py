"""The curriculum's topic slugs: the identifiers both services accept for a topic.

The Course Agent's curriculum (course_agent/content/<slug>.yaml) holds the content; a test there
checks it teaches exactly these topics, in this order.
"""

TOPIC_SLUGS: tuple[str, ...] = (
    "variables",
    "strings",
    "control-flow",
    "loops",
    "functions",
    "collections",
    "comprehensions",
    "errors",
    "files",
    "classes",
    "iterators-generators",
    "testing",
    "async",
)
