"""The admin pages of astro-bridge, mounted by the main app at `/admin`.

`create_admin_app(config, journal, clients)` gives the bottle app (`mount_admin(app, ...)`
mounts it on the main app): a login (admin users
and password hashes from the configuration, a signed session cookie, CSRF tokens on
every form, slowed-down bad passwords), the failure report (Transaction and Redemption
Failures with guidance, Retry and Hide one at a time or in bulk, the routine lines of
items in no program counted per item code apart, CSV export, pending and uncertain
deliveries; cards on a phone), per-customer lists of sales with links to their
receipts, and
the migration readiness report (bridge.admin.migration). bridge.app mounts it.

May import: bridge.webbase and everything below it but replay (legacy_qs, config, astro,
intake, journal, delivery, redeem, reasons, migrate, passwords, translate, salelog,
spreadsheet), bottle.
Never bridge.web (a sibling) nor bridge.app / bridge.cli (above).
"""
from bridge.admin.app import create_admin_app, mount_admin

__all__ = ["create_admin_app", "mount_admin"]
