"""LearnFlow Course Agent service."""

__version__ = "0.1.0"
