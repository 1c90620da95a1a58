"""The benchmark harness: the service against hand-written baselines, under wrk (see bench/README.md)."""
