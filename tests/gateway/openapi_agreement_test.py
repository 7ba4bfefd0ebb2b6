#!/usr/bin/env python3
"""docs/openapi.yaml and the gateway's route table name the same routes.

Usage: openapi_agreement_test.py PRINT_ROUTES_BINARY OPENAPI_YAML

Every (method, path) the route table serves must be an operation of the
document, and every operation of the document must be served.
"""
import subprocess
import sys

import yaml

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def served(binary):
    out = subprocess.run([binary], check=True, capture_output=True,
                         text=True, timeout=60).stdout
    pairs = set()
    for line in out.splitlines():
        method, path = line.split(" ", 1)
        pairs.add((method.upper(), path))
    return pairs


def documented(path):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    if not str(doc.get("openapi", "")).startswith("3.1"):
        raise SystemExit(f"{path}: not an OpenAPI 3.1 document")
    pairs = set()
    for route, item in (doc.get("paths") or {}).items():
        for key in item:
            if key in METHODS:
                pairs.add((key.upper(), route))
    return pairs


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    table, doc = served(sys.argv[1]), documented(sys.argv[2])
    ok = True
    for method, path in sorted(table - doc):
        print(f"served but not in openapi.yaml: {method} {path}")
        ok = False
    for method, path in sorted(doc - table):
        print(f"in openapi.yaml but not served: {method} {path}")
        ok = False
    if not table:
        print("the route table listed no routes")
        ok = False
    print(f"{len(table)} routes served, {len(doc)} documented")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
