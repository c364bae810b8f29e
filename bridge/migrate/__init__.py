"""Phased migration of a store from the legacy Astro URL to REST (issue 7).

- `phases`: passthrough (redirect to the store's legacy URL, redacted record) and shadow
  (passthrough plus a read-only dry run of what REST would do, in the background).
- `report`: the readiness report per store (`astro-bridge migrate report`).
- `page`: the report as HTML, routed at /admin/migration.
- `restproxy`: a byte-for-byte REST proxy for POSes that already speak REST, recording
  their transaction and redemption failures in the bridge's failure report.
"""
