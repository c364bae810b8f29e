"""Salted password hashes and the `astro-bridge hash-password` command."""
from click.testing import CliRunner

from bridge.cli import main
from bridge.passwords import hash_password, is_password_hash, verify_password


def test_a_hash_verifies_its_password_and_nothing_else():
    encoded = hash_password("demo-button")
    assert verify_password("demo-button", encoded)
    assert not verify_password("demo-button ", encoded)
    assert not verify_password("", encoded)


def test_two_hashes_of_one_password_differ_by_salt():
    first, second = hash_password("same"), hash_password("same")
    assert first != second
    assert first.startswith("scrypt$16384$8$1$")
    assert "same" not in first


def test_malformed_hash_is_refused_without_error():
    assert not verify_password("x", "plain-text-password")
    assert not verify_password("x", "scrypt$3$8$1$AAAA$AAAA")       # n not a power of 2
    assert not verify_password("x", "scrypt$16384$8$1$!!$??")
    assert not is_password_hash("md5$abc")
    assert is_password_hash(hash_password("x"))


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
