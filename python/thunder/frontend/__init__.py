"""Frontend: proxies, interception of torch calls, tracing, caching."""
