"""Which store a legacy-phase button request belongs to (found without the password, by
the same store resolution as the REST gate)."""
import dataclasses

from bridge.config import demo_config
from bridge.web import gate

LEGACY = "https://legacy.example/q"


def _config(*phases):
    base = demo_config("http://127.0.0.1:1/api/json", "j.db").stores[0]
    stores = tuple(dataclasses.replace(base, id=f"s{i}", phase=phase, legacy_url=LEGACY,
                                       astro=dataclasses.replace(base.astro,
                                                                 username=f"astro{i}"))
                   for i, phase in enumerate(phases))
    return dataclasses.replace(demo_config("http://127.0.0.1:1/api/json", "j.db"),
                               stores=stores)


def legacy_store(config, query: str):
    return gate.legacy_store(config, query.encode())


def test_only_store_in_passthrough_takes_any_button():
    config = _config("passthrough")
    assert legacy_store(config, "apiusername=whoever&apipassword=x").id == "s0"


def test_rest_store_is_left_to_the_rest_path():
    assert legacy_store(_config("rest"), "apiusername=astro0&apipassword=x") is None


def test_several_stores_are_told_apart_by_astro_username_login_or_store_param():
    config = _config("shadow", "rest", "passthrough")
    assert legacy_store(config, "apiusername=astro0&apipassword=x").id == "s0"
    assert legacy_store(config, "LOGIN=astro2~secret&CustomerID=1").id == "s2"
    assert legacy_store(config, "apiusername=astro1&apipassword=x") is None   # rest
    assert legacy_store(config, "apiusername=nobody&Store=S2").id == "s2"
    assert legacy_store(config, "apiusername=nobody") is None


def test_user_names_are_read_as_the_rest_parser_reads_them():
    config = _config("shadow", "passthrough")
    config = dataclasses.replace(config, stores=(config.stores[0], dataclasses.replace(
        config.stores[1], astro=dataclasses.replace(config.stores[1].astro,
                                                     username="jürgen"))))
    assert legacy_store(config, "apiusername=j%C3%BCrgen&apipassword=x").id == "s1"
    assert legacy_store(config, "Login=+j%C3%BCrgen+~x&UPC1=bad&UPC1=twice").id == "s1"
