"""What the bridge's two web apps (bridge.web and bridge.admin) share, below both."""
