"""LearnFlow User Progress service."""

__version__ = "0.1.0"
