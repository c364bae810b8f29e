"""The seed data other tools rely on, and the packaged copy of config/sandbox.toml."""
from pathlib import Path

from bridge.sandbox.seed import default_seed_text, load_seed

REPO = Path(__file__).resolve().parents[2]


def test_packaged_seed_is_the_documented_config_file():
    assert (REPO / "config" / "sandbox.toml").read_text("utf-8") == default_seed_text()


def test_seed_has_the_fixed_facts():
    seed = load_seed()
    login = seed.login("demo", "demo-password")
    assert login is not None and login.client_id == "demo-client"
    assert "demo-password" not in repr(login)
    kibble = seed.enrolled_program_for("012345678905")
    assert kibble.purchase_required == 12 and kibble.enrolled
    assert seed.enrolled_program_for("072030001234") is kibble
    wash = seed.enrolled_program_for("WASH-SELF")
    assert wash.purchase_required == 10 and wash.type == "custom"
    assert [i.code for i in wash.reward_items] == ["WASH-FREE"]
    assert seed.enrolled_program_for("850000000018") is None
    assert any(p.item("850000000018") for p in seed.programs)
    assert seed.points_per_dollar == 1
    assert [(r.points, str(r.reward_value)) for r in seed.points_rewards] == [
        (100, "5.00"), (200, "10.00")]
    sally = next(c for c in seed.customers if c.customer_id == "SALLY-1")
    assert (sally.first_name, sally.last_name, sally.email, sally.phone) == (
        "Sally", "Pet Owner", "sally@example.com", "5550100100")
    litter = seed.enrolled_program_for("041000000010")
    assert set(litter.requires) == {"email", "address"}
    pat = next(c for c in seed.customers if c.email == "pat@example.com")
    assert pat.customer_id is None
