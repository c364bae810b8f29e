"""The admin pages of astro-bridge, mounted by the main app at `/admin`.

`create_admin_app(config, journal, clients)` gives the bottle app (`mount_admin(app, ...)`
mounts it on the main app): a login (admin users
and password hashes from the configuration, a signed session cookie, CSRF tokens on
every form, slowed-down bad passwords), the failure report (Transaction and Redemption
Failures with guidance, Retry and Hide one at a time or in bulk, CSV export, pending and
uncertain deliveries) and per-customer lists of sales with links to their receipts.
"""
from bridge.admin.app import create_admin_app, mount_admin

__all__ = ["create_admin_app", "mount_admin"]
