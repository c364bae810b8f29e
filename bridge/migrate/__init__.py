"""Phased migration of a store from the legacy Astro URL to REST (issue 7).

- `phases`: passthrough (redirect to the store's legacy URL, redacted record) and shadow
  (passthrough plus a read-only dry run of what REST would do, in the background).
- `report`: the readiness report per store (`astro-bridge migrate report`; as a page at
  /admin/migration by bridge.admin.migration).
- `restproxy`: a byte-for-byte REST proxy for POSes that already speak REST, recording
  their transaction and redemption failures in the bridge's failure report (its routes
  are bridge.web.restproxy).

This package decides; it answers no HTTP request itself (the web side turns its
decisions into redirects and responses).

May import: legacy_qs, bridge.translate, config, astro, intake, journal, passwords,
reasons, salelog, and requests (the REST proxy forwards bytes itself). Never bottle, web or admin.
"""
