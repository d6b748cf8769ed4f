"""The wellness0 performance bench, one module per report section (see bench/bench.py)."""
