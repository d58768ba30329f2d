"""Runtime: what executes traces (the ATen executor and torch glue)."""
