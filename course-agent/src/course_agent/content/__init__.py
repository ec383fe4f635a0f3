"""The built-in curriculum as data: one YAML file per topic in this package, validated at load.

Each ``<slug>.yaml`` follows ``topic.schema.json`` (generated from ``domain.curriculum.Topic`` by
``make schemas``). The topics are read in the platform's order (``learnflow_common.curriculum``), once
per process; the domain takes the loaded :class:`Curriculum` and does no I/O itself.
"""

from __future__ import annotations

import functools
from importlib import resources

import yaml

from course_agent.domain.curriculum import Curriculum, Topic
from learnflow_common.curriculum import TOPIC_SLUGS

TOPIC_SCHEMA_FILE = "topic.schema.json"
#: libyaml's safe loader when PyYAML has it (about ten times faster), else the pure-Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_topic(slug: str) -> Topic:
    """The topic ``<slug>.yaml`` holds; ``pydantic.ValidationError`` says where it breaks the schema."""
    text = resources.files(__name__).joinpath(f"{slug}.yaml").read_text(encoding="utf-8")
    return Topic.model_validate(yaml.load(text, Loader=_LOADER))


@functools.cache
def curriculum() -> Curriculum:
    """Every topic of the platform, read once."""
    return Curriculum(topics=tuple(read_topic(slug) for slug in TOPIC_SLUGS))
