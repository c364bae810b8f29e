"""What the client takes from its environment: a store's proxy, and nothing else
(read once when the client is made, not on every call)."""
import pytest

from bridge.astro import AstroClient, NotSent

PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                   "ALL_PROXY", "no_proxy", "NO_PROXY")


@pytest.fixture
def no_proxy_env(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_proxy_set_in_the_environment_carries_the_calls(no_proxy_env, recording_astro):
    # The recorder stands in for the store's proxy: it gets the calls for an Astro host
    # that only the proxy can reach.
    proxy = recording_astro.api_url.removesuffix("/api/json")
    no_proxy_env.setenv("http_proxy", proxy)
    with AstroClient("http://astro.invalid/api/json", "demo", "demo-password",
                     "demo-client") as client:
        client.add_points_by_dollar("SALLY-1", 10)
    assert [path for path, _, _ in recording_astro.seen] == [
        "http://astro.invalid/api/json/token/",
        "http://astro.invalid/api/json/addPointsByDollar/"]


def test_a_netrc_entry_for_the_astro_host_does_not_replace_the_token(
        no_proxy_env, recording_astro, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password something\n")
    netrc.chmod(0o600)
    no_proxy_env.setenv("NETRC", str(netrc))
    with AstroClient(recording_astro.api_url, "demo", "demo-password",
                     "demo-client") as client:
        client.add_points_by_dollar("SALLY-1", 10)
    _, headers, _ = recording_astro.seen[-1]
    assert headers["Authorization"] == "Bearer tok-123"


def test_a_proxy_login_is_sent_to_the_proxy_and_never_shown(no_proxy_env, recording_astro):
    proxy = recording_astro.api_url.removesuffix("/api/json")
    no_proxy_env.setenv("http_proxy", proxy.replace("http://", "http://store:s%40cret@"))
    with AstroClient("http://astro.invalid/api/json", "demo", "demo-password",
                     "demo-client") as client:
        client.add_points_by_dollar("SALLY-1", 10)
    _, headers, _ = recording_astro.seen[-1]
    sent = {name.lower(): value for name, value in headers.items()}
    assert sent["proxy-authorization"] == "Basic c3RvcmU6c0BjcmV0"   # store:s@cret
    # The proxy gone: the error says why, without the proxy's login.
    no_proxy_env.setenv("http_proxy", "http://store:s%40cret@127.0.0.1:9")
    with AstroClient("http://astro.invalid/api/json", "demo", "demo-password",
                     "demo-client", max_retries=0) as client:
        with pytest.raises(NotSent) as info:
            client.add_points_by_dollar("SALLY-1", 10)
    assert "cret" not in str(info.value) and "store" not in str(info.value)
    assert info.value.reason == "proxy: connection refused"


def test_a_compressed_answer_is_read(recording_astro):
    recording_astro.gzip = True
    with AstroClient(recording_astro.api_url, "demo", "demo-password",
                     "demo-client") as client:
        award = client.add_points_by_dollar("SALLY-1", 10)
    assert (award.points_transaction_id, award.total_points) == ("7", 12)
