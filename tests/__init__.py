"""spark_control's test suite; `spark_sim` is also the simulator that `make demo` runs."""
