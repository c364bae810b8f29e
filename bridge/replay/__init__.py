"""Replay: import past purchases (POS CSV exports, lists of old button URLs, JSON lines)
through the bridge's own translation, journal and delivery.

- `readers` turns input files into `StagedRow`s (one per input record, valid or not);
- `presets` knows the CSV layouts of common POS exports and the `--map` overrides;
- `grouping` assembles the staged rows of one sale (read back from the journal in
  order) into a `ReplaySale` with a key derived from the input;
- `run` delivers the sales (partitioned by customer over worker threads, rate-capped),
  resumable through the journal;
- `progress` and `summary` are what the user sees.

May import: legacy_qs, bridge.translate, config, astro, intake, journal, delivery,
reasons, salelog, spreadsheet, and click (the progress bar). Never the web side.
"""
