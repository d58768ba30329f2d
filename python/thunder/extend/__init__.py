"""Public API for extending thunder (custom operators, executors, transforms)."""
