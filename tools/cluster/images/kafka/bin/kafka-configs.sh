#!/bin/sh
# kafka.admin.ConfigCommand is in the broker's own jar (kafka_2.13), not in kafka-tools (pom.xml).
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx128m} exec "$(dirname "$0")/kafka-run-class.sh" kafka.admin.ConfigCommand "$@"
