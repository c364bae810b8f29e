"""astro-bridge: the legacy Astro button URL in, Astro REST calls out."""
