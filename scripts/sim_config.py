#!/usr/bin/env python3
"""Writes a mediagw configuration that wires every provider and workflow to
one provider simulator (mediagw-sim), for the demo, the end-to-end tests and
the benchmarks.

  scripts/sim_config.py --sim http://127.0.0.1:PORT --data DIR --out FILE \
      [--ports-file F] [--key-env NAME | --key-sha256 HEX ...] [--poll-ms N]

Upstream keys come from environment variables (see ENV_KEYS); the simulator
accepts "sim-key" and signs kie callbacks with "sim-webhook-key". The
simulator's own address is the only entry of fetch.allow_addresses, so result
URLs it hands out can be mirrored while every other private address stays
refused.
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

# Where each declarative vendor lives on the simulator.
VENDOR_PREFIX = {"rr3": "/rr3", "fluxjobs": "/flux"}


def vendor_channels(sim):
    """Channels from config/vendors/*.json, pointed at the simulator."""
    out = []
    folder = os.path.join(ROOT, "config", "vendors")
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(folder, name)) as f:
            doc = json.load(f)
        channels = doc.get("channels", [doc]) if isinstance(doc, dict) else doc
        for ch in channels:
            prefix = VENDOR_PREFIX.get(ch["name"])
            if prefix is None:
                continue
            ch = dict(ch)
            ch["base_urls"] = [sim + prefix]
            out.append(ch)
    return out


def build(args):
    sim = args.sim.rstrip("/")
    wf = os.path.join(ROOT, "config", "workflows")
    sim_addr = urlparse(sim).netloc
    keys = [{"name": "demo", "key_env": e} for e in args.key_env]
    keys += [{"name": "key%d" % i, "sha256": h}
             for i, h in enumerate(args.key_sha256)]
    channels = [
        {"name": "comfy-local", "provider": "comfyui", "base_urls": [sim]},
        {"name": "xai", "provider": "xai", "base_urls": [sim + "/xai"],
         "api_key_env": "MEDIAGW_XAI_KEY"},
        {"name": "gateway-003", "provider": "openai_compat",
         "base_urls": [sim + "/oai3"], "dialect": "seed003",
         "api_key_env": "MEDIAGW_OPENAI_KEY", "response_format": "b64_json"},
        {"name": "gateway-004", "provider": "openai_compat",
         "base_urls": [sim + "/oai4"], "dialect": "seed004",
         "api_key_env": "MEDIAGW_OPENAI_KEY"},
        {"name": "kie", "provider": "kie", "base_urls": [sim + "/kie"],
         "api_key_env": "MEDIAGW_KIE_KEY",
         "webhook_secret_env": "MEDIAGW_KIE_WEBHOOK_KEY"},
    ] + vendor_channels(sim)
    names = {c["name"] for c in channels}
    workflows = [
        {"name": "default", "channels": ["comfy-local"],
         "template_file": wf + "/default.json", "default_cfg": 7,
         "accepts_model": True},
        {"name": "anime", "channels": ["comfy-local"],
         "template_file": wf + "/anime.json", "default_cfg": 7,
         "accepts_model": True},
        {"name": "z-image", "channels": ["comfy-local"],
         "template_file": wf + "/z-image.json", "default_cfg": 1},
        {"name": "video", "kind": "video", "channels": ["comfy-local"],
         "template_file": wf + "/video.json", "default_cfg": 6},
        {"name": "kie-video", "kind": "video", "channels": ["kie"],
         "accepts_model": True,
         "default_model": "grok-imagine/image-to-video"},
        {"name": "grok", "channels": ["xai"], "default_width": 1024,
         "default_height": 1024, "accepts_model": True,
         "models": ["grok-imagine-image", "grok-imagine-image-pro"],
         "default_model": "grok-imagine-image", "task_id_style": "prefixed",
         "task_id_prefix": "grok_", "provider_label": "grok"},
        {"name": "kie-grok", "channels": ["kie"], "accepts_model": True,
         "default_model": "grok-imagine/text-to-image",
         "default_width": 1024, "default_height": 1024},
        {"name": "grok-3-image", "channels": ["gateway-003"],
         "accepts_model": True, "default_model": "grok-3-image",
         "default_width": 960, "default_height": 960},
        {"name": "grok-imagine", "channels": ["gateway-004", "gateway-003"],
         "accepts_model": True, "default_model": "grok-imagine-image",
         "default_width": 1024, "default_height": 1024,
         # The pro model goes straight to xAI.
         "model_routes": [{"model": "grok-imagine-image-pro",
                           "channels": ["xai"]}]},
    ]
    if "rr3" in names:
        workflows.append(
            {"name": "rr3", "channels": ["rr3"], "default_cfg": 6,
             "task_id_style": "numeric", "provider_label": "rr3"})
    if "fluxjobs" in names:
        workflows.append({"name": "flux", "channels": ["fluxjobs"],
                          "default_cfg": 3.5, "default_width": 1024,
                          "default_height": 1024})
    return {
        "server": {"grpc_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
                   "ports_file": args.ports_file or ""},
        "storage": {"data_dir": args.data},
        "api_keys": keys,
        "channels": channels,
        "workflows": workflows,
        "dispatch": {"poll_interval_ms": args.poll_ms,
                     "default_deadline_seconds": args.deadline_s,
                     "max_active_tasks": args.max_active},
        "fetch": {"allow_addresses": [sim_addr]},
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sim", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--ports-file", default="")
    p.add_argument("--key-env", action="append", default=[])
    p.add_argument("--key-sha256", action="append", default=[])
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
