"""The legacy Astro query-string format: parse and encode button URLs."""
