"""docker-compose.yml's invariants (`compose up` cannot run here: no engine, no image registry). The proxy config it
mounts is run for real by tests/reliability/test_proxy.py, with the Caddy version the compose image pins."""
from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import yaml

from service.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
APP = ("init", "api", "worker")  # the services running narrawatch (the x-narrawatch anchor)


def test_replicas_are_configurable():
    assert SERVICES["api"]["deploy"]["replicas"] == "${NW_API_REPLICAS:-2}"
    assert SERVICES["worker"]["deploy"]["replicas"] == "${NW_WORKER_REPLICAS:-2}"


def test_proxy_runs_the_tested_caddy_and_caddyfile():
    proxy = SERVICES["proxy"]
    built = re.search(r'^CADDY_VERSION="v([^"]+)"', (ROOT / "scripts" / "caddy.sh").read_text(), re.M).group(1)
    assert proxy["image"] == f"caddy:{built}"  # the version scripts/caddy.sh builds for the proxy test
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert (ROOT / "deploy" / "Caddyfile").is_file()
    assert proxy["ports"] == ["127.0.0.1:8000:8000"]
    assert not set(proxy.get("environment") or {}) & {"PROXY_LISTEN", "PROXY_UPSTREAMS"}  # compose: the defaults
    # the Caddyfile's default discovery: service `api` on the port its replicas serve
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert re.search(r"^\s*dynamic a api 8000 \{", caddyfile, re.M)
    command = SERVICES["api"]["command"]
    assert command[:2] == ["narrawatch", "serve"] and command[command.index("--port") + 1] == "8000"
    assert command[command.index("--host") + 1] == "0.0.0.0"


def test_trusted_proxy_is_the_proxy_address():
    address = SERVICES["proxy"]["networks"]["nw"]["ipv4_address"]
    subnet = ipaddress.ip_network(COMPOSE["networks"]["nw"]["ipam"]["config"][0]["subnet"])
    assert ipaddress.ip_address(address) in subnet
    for name in APP:
        assert SERVICES[name]["environment"]["NW_TRUSTED_PROXIES"] == address, name


def test_every_nw_variable_is_a_setting():
    fields = {f"NW_{name.upper()}" for name in Settings.model_fields}
    for name in APP:
        env = SERVICES[name]["environment"]
        assert env["NW_STORE"] == "elasticsearch" and env["NW_ES_URL"] == "http://elasticsearch:9200"
        unknown = {k for k in env if k.startswith("NW_")} - fields
        assert not unknown, f"{name}: {sorted(unknown)} are no settings (service/config.py)"
    # every value the app reads from compose's own environment must parse as a setting
    Settings(**{k.removeprefix("NW_").lower(): re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(v))
                for k, v in SERVICES["api"]["environment"].items()})
