"""What the bridge's two web sides (bridge.web and bridge.admin) share, below both:

- `tokens`: HMAC tokens (receipt links, CSRF; the admin session cookie's MAC);
- `throttle`: slowing down and refusing password guesses per (address, user);
- `proxy`: the client's address and scheme behind trusted proxies only;
- `render`: the headers every page carries.

May import: bridge.config, bottle. Never bridge.web, bridge.admin or anything above.
"""
