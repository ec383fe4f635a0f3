#!/bin/sh
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx128m} exec "$(dirname "$0")/kafka-run-class.sh" kafka.admin.ConfigCommand "$@"
