"""The passthrough redirect target: the configured legacy URL plus the original query,
and nothing the request sends can move it to another host or path."""
from urllib.parse import urlsplit

import pytest

from bridge.migrate.phases import legacy_location

LEGACY = "https://legacy.astro.example/pos/legacy"


def test_location_is_the_legacy_url_plus_the_query_byte_for_byte():
    query = ("apiusername=demo&apipassword=s%3Dcr%26t%2B1&CustomerID=C-1&FirstName=J%C3%BCrgen"
             "&UPC1=012345678905&Qty1=+2&Description1=Dog+Food%2030lb&SubTotal=%2445.98")
    assert legacy_location(LEGACY, query) == LEGACY + "?" + query


def test_configured_url_with_its_own_query_gets_the_sale_appended():
    assert legacy_location(LEGACY + "?acct=7", "CustomerID=C-1") == \
        LEGACY + "?acct=7&CustomerID=C-1"


def test_empty_query_redirects_to_the_bare_legacy_url():
    assert legacy_location(LEGACY, "") == LEGACY


@pytest.mark.parametrize("crafted", [
    "//evil.example/steal",
    "@evil.example/x",
    "x=1#@evil.example/",
    "next=https://evil.example/&UPC1=1",
    "\\\\evil.example\\x",
    "x=%0d%0aLocation:%20https://evil.example/",
    "x=1\r\nLocation: https://evil.example/",
    "x=\x00\x7f\xe9 y",
])
def test_crafted_query_never_chooses_the_host_or_path(crafted):
    location = legacy_location(LEGACY, crafted)
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "legacy.astro.example",
                                                         "/pos/legacy")
    assert parts.fragment == ""
    assert not any(c in location for c in "\r\n\x00 ")
    assert all(ord(c) < 128 for c in location)
