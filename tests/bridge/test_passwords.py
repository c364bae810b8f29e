"""Salted password hashes and the `astro-bridge hash-password` command."""
from click.testing import CliRunner

from bridge.cli import main
from bridge.passwords import hash_password, is_password_hash, verify_password
from tests.conftest import TEST_HASH_N


def test_a_hash_verifies_its_password_and_nothing_else():
    encoded = hash_password("demo-button", n=TEST_HASH_N)
    assert verify_password("demo-button", encoded)
    assert not verify_password("demo-button ", encoded)
    assert not verify_password("", encoded)


def test_two_hashes_of_one_password_differ_by_salt():
    first, second = hash_password("same", n=TEST_HASH_N), hash_password("same", n=TEST_HASH_N)
    assert first != second
    assert "same" not in first


def test_new_hashes_cost_owasps_minimum_and_old_cheaper_ones_still_verify():
    new = hash_password("demo-admin")
    assert new.startswith("scrypt$131072$8$1$")            # N=2**17
    assert verify_password("demo-admin", new)
    # Made before the cost was raised (config/demo.toml's admin hash at N=2**14): its
    # cost is in the hash, so it is checked at that cost and still lets its user in.
    old = ("scrypt$16384$8$1$kPLsLWL2rA9FYSokEaXvRQ==$"
           "iWoFvyd2ADpn3XxB+IonTd7UN0AhzErAgIBuE4s8NX8=")
    assert verify_password("demo-admin", old)
    assert not verify_password("demo-admin!", old)


def test_an_unknown_user_is_checked_at_the_cost_of_the_configured_hashes():
    from bridge.passwords import nobody_hash
    old = hash_password("pw", n=2**14)                     # made before the cost was raised
    assert nobody_hash(old).startswith("scrypt$16384$8$1$")
    assert nobody_hash(None).startswith("scrypt$131072$8$1$")
    assert nobody_hash("not a hash").startswith("scrypt$131072$8$1$")
    for password in ("pw", "", "x"):
        assert not verify_password(password, nobody_hash(old))


def test_malformed_hash_is_refused_without_error():
    assert not verify_password("x", "plain-text-password")
    assert not verify_password("x", "scrypt$3$8$1$AAAA$AAAA")       # n not a power of 2
    assert not verify_password("x", "scrypt$16384$8$1$!!$??")
    assert not is_password_hash("md5$abc")
    assert is_password_hash(hash_password("x", n=TEST_HASH_N))


def test_hash_password_command_reads_stdin_and_prints_a_verifiable_hash():
    result = CliRunner().invoke(main, ["hash-password", "--stdin"], input="s3cret-pw\n")
    assert result.exit_code == 0
    printed = result.output.strip()
    assert verify_password("s3cret-pw", printed)
    assert "s3cret-pw" not in result.output


def test_hash_password_command_prompts_twice_without_echo():
    result = CliRunner().invoke(main, ["hash-password"], input="pw-one\npw-one\n")
    assert result.exit_code == 0
    assert "pw-one" not in result.output
    assert verify_password("pw-one", result.output.strip().splitlines()[-1])


def test_hash_password_command_refuses_an_empty_password_with_exit_2():
    result = CliRunner().invoke(main, ["hash-password", "--stdin"], input="\n")
    assert result.exit_code == 2
    assert "must not be empty" in result.output
    assert "Traceback" not in result.output


def test_verified_cache_keeps_no_password_and_never_a_failed_check():
    from bridge.passwords import VerifiedCache
    cache = VerifiedCache()
    encoded = hash_password("s3cret-Pw", n=2**10)
    assert not cache.verify("demo", "front", "wrong-Pw", encoded)
    assert len(cache) == 0                                 # a failure is never cached
    assert cache.verify("demo", "front", "s3cret-Pw", encoded)
    assert cache.verify("demo", "front", "s3cret-Pw", encoded)
    [(key, expiry)] = cache.items()
    assert isinstance(key, bytes) and len(key) == 32 and isinstance(expiry, float)
    for needle in (b"s3cret-Pw", "s3cret-Pw".encode("utf-16-le")):
        assert needle not in key
    assert "s3cret-Pw" not in repr(cache.__dict__)
    # wrong passwords are still refused after the right one was cached
    for wrong in ("s3cret-pw", "s3cret-Pw ", "", "wrong-Pw"):
        assert not cache.verify("demo", "front", wrong, encoded)
    # the same password under another store or user name is checked on its own
    assert not cache.verify("demo", "front", "s3cret-Pw", hash_password("other", n=2**10))
    assert len(cache) == 1


def test_verified_cache_is_invalidated_by_a_changed_hash_and_expires():
    from bridge.passwords import VerifiedCache
    now = [100.0]
    cache = VerifiedCache(ttl=60, max_entries=2, clock=lambda: now[0])
    old = hash_password("old-pw", n=2**10)
    assert cache.verify("demo", "front", "old-pw", old)
    new = hash_password("new-pw", n=2**10)                 # the configuration reloaded
    assert not cache.verify("demo", "front", "old-pw", new)
    assert cache.verify("demo", "front", "new-pw", new)
    now[0] += 61                                           # expired: checked again
    assert not cache.verify("demo", "front", "old-pw", new)
    assert cache.verify("demo", "front", "new-pw", new)
    for user in ("a", "b", "c"):                           # bounded (LRU)
        cache.verify("demo", user, "new-pw", new)
    assert len(cache) == 2


def test_web_gate_caches_a_right_mapped_password_and_still_refuses_wrong_ones(
        sandbox, tmp_path):
    import webtest
    from bridge.journal import Journal
    from bridge.app import create_app
    from tests.conftest import demo_config_for_tests
    config = demo_config_for_tests(sandbox.api_url, str(tmp_path / "bridge.db"))
    query = ("apiusername=demo&apipassword={}&CustomerID=SALLY-1&UPC1=012345678905"
             "&Qty1=1&SubTotal=10.00&SaleID={}")
    with Journal(tmp_path / "bridge.db") as journal:
        app = create_app(config, journal)
        web = webtest.TestApp(app)
        web.get("/?" + query.format("demo-button", "c-1"), status=303)
        cache = app.config["bridge.web"].passwords.cache
        assert len(cache) == 1
        assert "demo-button" not in repr(cache.items())
        web.get("/?" + query.format("demo-buttoN", "c-2"), status=401)
        assert len(cache) == 1


def test_a_burst_of_wrong_passwords_takes_the_memory_of_one_check_per_core():
    # Eight threads check a wrong password at once (128 MiB each at the default cost);
    # in a process of its own, so its peak memory is this burst's alone.
    import subprocess
    import sys

    code = """
import os, resource, threading
from bridge.passwords import hash_password, verify_password
stored = hash_password("right", n=2**17)
threads = [threading.Thread(target=verify_password, args=(f"wrong{i}", stored))
           for i in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
print(os.cpu_count(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    cores, peak_mib = int(out[0]), int(out[1])
    # 128 MiB per check computed at once, plus the interpreter; eight at once: 1 GiB.
    assert peak_mib < 128 * min(cores, 8) + 100, (cores, peak_mib)
