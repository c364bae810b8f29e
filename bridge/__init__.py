"""astro-bridge: the legacy Astro button URL in, Astro REST calls out.

The packages import only downwards; tests/test_layers.py holds this table and checks
it (no circle, nothing outside a package's row), and each package's docstring repeats
its row:

    package            may import (project)                          libraries
    legacy_qs          -                                              -
    bridge.passwords   -                                              -
    bridge.metrics     -                                              prometheus_client
    bridge.salelog     metrics                                        -
    bridge.reasons     -                                              -
    bridge.spreadsheet -                                              -
    bridge.config      passwords                                      -
    bridge.translate   legacy_qs, config                              -
    bridge.astro       config, metrics                                requests, urllib3
    bridge.journal     legacy_qs, metrics, reasons, translate         psycopg(_pool)
    bridge.intake      legacy_qs, config, journal, translate          -
    bridge.delivery    astro, config, journal, reasons, salelog,      -
                       translate
    bridge.redeem      astro, journal, reasons                        -
    bridge.replay      legacy_qs, astro, config, delivery, intake,    click
                       journal, reasons, salelog, spreadsheet,
                       translate
    bridge.migrate     legacy_qs, astro, config, intake, journal,     requests
                       passwords, reasons, salelog, translate
    bridge.webbase     config                                         bottle
    bridge.web         webbase and all of the above but replay        bottle, waitress
                       (metrics too)
    bridge.admin       webbase and all of the above but replay        bottle
    bridge.app         web, admin and what they stand on              bottle
    bridge.sandbox     legacy_qs                                      bottle, waitress,
                                                                      requests
    bridge.cli         anything (it only wires)                       anything

web and admin never import each other; nothing imports app or cli.
"""
