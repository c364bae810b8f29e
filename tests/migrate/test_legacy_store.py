"""Which store a legacy-phase button request belongs to (found without the password)."""
import dataclasses

from bridge.config import demo_config
from bridge.migrate.phases import legacy_store

LEGACY = "https://legacy.example/q"


def _config(*phases):
    base = demo_config("http://127.0.0.1:1/api/json", "j.db").stores[0]
    stores = tuple(dataclasses.replace(base, id=f"s{i}", phase=phase, legacy_url=LEGACY,
                                       astro=dataclasses.replace(base.astro,
                                                                 username=f"astro{i}"))
                   for i, phase in enumerate(phases))
    return dataclasses.replace(demo_config("http://127.0.0.1:1/api/json", "j.db"),
                               stores=stores)


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
