#!/usr/bin/env python3
"""Writes a mediagw configuration that wires every provider and workflow to
one provider simulator (mediagw-sim), for the demo, the end-to-end tests and
the benchmarks: the shipped config/mediagw.example.json with each channel's
base URL replaced by its route on the simulator.

  scripts/sim_config.py --sim http://127.0.0.1:PORT --data DIR --out FILE \
      [--ports-file F] [--key-env NAME | --key-sha256 HEX ...] [--poll-ms N]
      [--metered-key-env NAME [--metered-balance N]] [--admin-key-env NAME]

Upstream keys come from environment variables (see ENV_KEYS); the simulator
accepts "sim-key" and signs kie callbacks with "sim-webhook-key". The
simulator's own address is the only entry of fetch.allow_addresses, so result
URLs it hands out can be mirrored while every other private address stays
refused; webhooks.allow_addresses lists 127.0.0.1 (any port), so webhooks
reach a local receiver.


Accounts: the example's prices and accounts section are kept. Keys given
with --key-env/--key-sha256 are unlimited accounts ("demo", "key<i>");
--metered-key-env adds the account "metered" holding --metered-balance
credits (default 0: every priced submit is "Insufficient balance");
--admin-key-env names the admin key's variable (accounts.admin_key_env).
"""
import argparse
import json
import os
import sys
from urllib.parse import urlparse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Environment variables holding the upstream secrets, and the values the
# simulator accepts.
ENV_KEYS = {
    "MEDIAGW_XAI_KEY": "sim-key",
    "MEDIAGW_OPENAI_KEY": "sim-key",
    "MEDIAGW_KIE_KEY": "sim-key",
    "MEDIAGW_KIE_WEBHOOK_KEY": "sim-webhook-key",
    "MEDIAGW_RR3_KEY": "sim-key",
    "MEDIAGW_FLUX_KEY": "sim-key",
}

# Where each channel of the shipped example lives on the simulator.
SIM_PREFIX = {
    "comfy-pool": "",
    "xai": "/xai",
    "gateway-003": "/oai3",
    "gateway-004": "/oai4",
    "kie": "/kie",
    "rr3": "/rr3",
    "fluxjobs": "/flux",
}

EXAMPLE = os.path.join(ROOT, "config", "mediagw.example.json")


def load_channels(path):
    with open(path) as f:
        return json.load(f)["channels"]


def build(args):
    """The shipped example (config/mediagw.example.json, with its channel
    files inlined) with every channel pointed at the simulator, so the demo
    and the tests run the workflow settings users get."""
    sim = args.sim.rstrip("/")
    cfg_dir = os.path.dirname(EXAMPLE)
    with open(EXAMPLE) as f:
        cfg = json.load(f)
    channels = list(cfg["channels"])
    for name in cfg.pop("channel_files", []):
        channels += load_channels(os.path.join(cfg_dir, name))
    for ch in channels:
        if ch["name"] not in SIM_PREFIX:
            sys.exit("sim_config: no simulator route for channel %r" % ch["name"])
        ch["base_urls"] = [sim + SIM_PREFIX[ch["name"]]]
    for wf in cfg["workflows"]:
        if "template_file" in wf:
            wf["template_file"] = os.path.join(cfg_dir, wf["template_file"])
    keys = [{"name": "demo", "key_env": e} for e in args.key_env]
    keys += [{"name": "key%d" % i, "sha256": h}
             for i, h in enumerate(args.key_sha256)]
    if args.metered_key_env:
        keys.append({"name": "metered", "key_env": args.metered_key_env,
                     "balance": args.metered_balance})
    if args.admin_key_env:
        cfg.setdefault("accounts", {})["admin_key_env"] = args.admin_key_env
    cfg["channels"] = channels
    cfg["api_keys"] = keys
    cfg["server"] = {"grpc_listen": "127.0.0.1:0",
                     "http_listen": "127.0.0.1:0",
                     "ports_file": args.ports_file or ""}
    cfg["storage"] = {"data_dir": args.data}
    cfg["dispatch"] = {"poll_interval_ms": args.poll_ms,
                       "default_deadline_seconds": args.deadline_s,
                       "max_active_tasks": args.max_active}
    cfg["fetch"] = {"allow_addresses": [urlparse(sim).netloc]}
    # Webhooks may reach a receiver on this machine (any port), so that a
    # demo can watch them arrive; nothing else private is allowed.
    cfg["webhooks"] = {"allow_addresses": ["127.0.0.1"]}
    return cfg


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sim", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--ports-file", default="")
    p.add_argument("--key-env", action="append", default=[])
    p.add_argument("--key-sha256", action="append", default=[])
    p.add_argument("--metered-key-env", default="")
    p.add_argument("--metered-balance", type=int, default=0)
    p.add_argument("--admin-key-env", default="")
    p.add_argument("--poll-ms", type=int, default=200)
    p.add_argument("--deadline-s", type=int, default=300)
    p.add_argument("--max-active", type=int, default=256)
    p.add_argument("--print-env", action="store_true",
                   help="print the upstream key variables as shell exports")
    args = p.parse_args()
    if not args.key_env and not args.key_sha256:
        p.error("give at least one --key-env or --key-sha256")
    with open(args.out, "w") as f:
        json.dump(build(args), f, indent=2)
    if args.print_env:
        for k, v in ENV_KEYS.items():
            print("export %s=%s" % (k, v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
