"""Customers: status, search by email/phone (310), link (320), add, update."""


def test_sally_is_the_seeded_test_customer(api):
    sally = api.status("SALLY-1")
    assert (sally["first_name"], sally["last_name"]) == ("Sally", "Pet Owner")
    assert (sally["email_address"], sally["phone"]) == ("sally@example.com", "5550100100")
    assert sally["astroCardData"] == [] and sally["astroPointsBalance"] == 0


def test_unknown_customer_status_is_no_customer_found(api):
    status, message, data = api.call("customerStatus", {"customerID": "NOBODY"})
    assert (message, data) == ("No Customer Found", None) and status != 100


def test_search_by_email_or_phone_finds_the_customer(api):
    by_email = api.ok("searchCustomer", {"email_address": "SALLY@example.com"})
    by_phone = api.ok("searchCustomer", {"phone": "(555) 010-0100"})
    assert by_email["customerID"] == by_phone["customerID"] == "SALLY-1"
    assert by_email["astro_customer_id"] == "1001"


def test_search_without_match_is_310(api):
    status, message, _ = api.call("searchCustomer", {"email_address": "ghost@example.com"})
    assert (status, message) == (310, "No Customer Found")


def test_unlinked_customer_is_found_then_linked_once(api):
    pat = api.ok("searchCustomer", {"email_address": "pat@example.com"})
    assert pat["customerID"] is None
    linked = api.ok("linkCustomer", {"customerID": "POS-PAT",
                                     "astro_customer_id": pat["astro_customer_id"]})
    assert linked["astro_customer_id"] == pat["astro_customer_id"]
    assert api.status("POS-PAT")["first_name"] == "Pat"
    status, _, _ = api.call("linkCustomer", {"customerID": "POS-OTHER",
                                             "astro_customer_id": pat["astro_customer_id"]})
    assert status == 320


def test_linking_a_pos_id_already_in_use_is_320(api):
    status, _, _ = api.call("linkCustomer", {"customerID": "SALLY-1",
                                             "astro_customer_id": "1002"})
    assert status == 320


def test_add_customer_creates_a_linked_customer(api):
    added = api.ok("addCustomer", {"customerID": "POS-9", "first_name": "Rex",
                                   "last_name": "Owner", "email_address": "rex@example.com",
                                   "phone": "5550109999", "zip": "62702"})
    rex = api.status("POS-9")
    assert rex["astro_customer_id"] == added["astro_customer_id"]
    assert rex["email_address"] == "rex@example.com"
    _, message, _ = api.call("addCustomer", {"customerID": "POS-9", "first_name": "Rex",
                                             "last_name": "Again"})
    assert message == "CustomerID Already Exists"


def test_update_customer_by_either_id(api):
    api.ok("updateCustomer", {"customerID": "SALLY-1", "email_address": "s@example.com"})
    api.ok("updateCustomer", {"astro_customer_id": "1001", "phone": "5550100999"})
    sally = api.status()
    assert (sally["email_address"], sally["phone"]) == ("s@example.com", "5550100999")
    assert sally["first_name"] == "Sally"
