"""LearnFlow's local stack launcher: the real Dapr runtime, PostgreSQL and Kafka on one machine."""
