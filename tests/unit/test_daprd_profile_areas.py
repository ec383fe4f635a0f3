"""benchmarks/daprd_profile.py counts each sampled stack of a sidecar for the innermost work it names."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from daprd_profile import OTHER, area_of, seconds_by_area

TRACES = """File: daprd
Type: cpu
-----------+-------------------------------------------------------
      20ms   internal/runtime/syscall/linux.Syscall6
             github.com/jackc/pgx/v5/pgconn.(*PgConn).ExecStatement
             github.com/dapr/components-contrib/common/component/postgresql/v1.(*PostgreSQL).Get
             github.com/dapr/dapr/pkg/diagnostics.(*httpMetrics).HTTPMiddleware-fm.(*httpMetrics).HTTPMiddleware.func1
             net/http.(*conn).serve
-----------+-------------------------------------------------------
      10ms   go.opencensus.io/stats/view.(*worker).start
-----------+-------------------------------------------------------
     500us   github.com/go-chi/chi/v5.(*Mux).routeHTTP
             github.com/dapr/dapr/pkg/diagnostics.(*httpMetrics).HTTPMiddleware-fm.(*httpMetrics).HTTPMiddleware.func1
             net/http.(*conn).serve
-----------+-------------------------------------------------------
       1.5s   runtime.scanobject
             runtime.gcDrain
             runtime.gcBgMarkWorker
-----------+-------------------------------------------------------
      10ms   main.main
"""


def test_a_state_store_call_inside_the_api_server_counts_for_the_state_store() -> None:
    assert seconds_by_area(TRACES)["PostgreSQL state store (pgx)"] == pytest.approx(0.02)


def test_the_metrics_middleware_that_wraps_every_request_names_nothing() -> None:
    """Routing under the HTTP metrics middleware is the API server's work; OpenCensus's own worker is
    the metrics'."""
    spent = seconds_by_area(TRACES)

    assert spent["HTTP API server (read, route, write)"] == pytest.approx(0.0005)
    assert spent["metrics (OpenCensus)"] == pytest.approx(0.01)


def test_every_sample_is_counted_once_in_seconds() -> None:
    spent = seconds_by_area(TRACES)

    assert spent["Go garbage collector"] == pytest.approx(1.5)
    assert spent[OTHER] == pytest.approx(0.01)
    assert sum(spent.values()) == pytest.approx(0.02 + 0.01 + 0.0005 + 1.5 + 0.01)


def test_a_stack_is_read_from_its_innermost_frame_out() -> None:
    assert (
        area_of(["encoding/json.(*decodeState).object", "github.com/IBM/sarama.(*Broker).send"])
        == "JSON (encoding/json)"
    )
    assert area_of(["runtime.mallocgc", "github.com/IBM/sarama.(*Broker).send"]) == "Kafka client (sarama)"
