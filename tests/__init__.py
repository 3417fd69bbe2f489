"""spark_control's test suite; `tests.spark_sim` is also the simulator that `make demo` runs."""
