"""One module per curriculum topic, each defining ``TOPIC``."""
