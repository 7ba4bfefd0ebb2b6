#!/usr/bin/env python3
"""Checks the repo's Dockerfile against the tree and the binary CI built,
without building an image:

- the build stage is debian:12 running scripts/install-deps.sh, with
  BUILD_DIR=/build; the runtime stage is debian:12-slim;
- every COPY source exists: context files in the repo (and not excluded by
  .dockerignore), --from=build files in the CI build folder (/build/X is
  BUILD/X);
- the runtime stage's apt-get install list names the Debian package of every
  library the binary links directly (readelf NEEDED, resolved by ldd, mapped
  with dpkg -S), and every other library ldd reports belongs to a package
  those depend on (Depends/Pre-Depends, from dpkg's database), plus
  ca-certificates;
- the runtime user is the uid the Helm chart runs as, not root, and config/
  lands in /usr/share/mediagw under the same names (the chart's default
  config and its test rely on that).

usage: dockerfile_check.py --repo DIR --binary FILE --build-dir DIR
       [--dockerfile FILE]
Exit 0 when all hold; otherwise 1 with one line per problem.
"""
import argparse
import fnmatch
import glob
import json
import os
import re
import shlex
import subprocess
import sys

RUNTIME_EXTRA = {"ca-certificates": "TLS to upstreams"}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def logical_lines(text):
    """Dockerfile instructions with continuations joined, comments dropped."""
    out, cur = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not cur and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        out.append(cur.strip())
        cur = ""
    if cur.strip():
        out.append(cur.strip())
    return out


def parse_stages(text):
    stages = []
    for line in logical_lines(text):
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].lower() == "as" else ""
            stages.append({"image": parts[0], "name": name, "ops": []})
        elif stages:
            stages[-1]["ops"].append((word, rest.strip()))
    return stages


def copy_args(rest):
    """(flags, sources, destination) of a COPY or ADD, either form."""
    flags = {}
    while True:
        m = re.match(r"--([a-z-]+)(?:=(\S*))?\s+", rest)
        if not m:
            break
        flags[m.group(1)] = m.group(2) or ""
        rest = rest[m.end():]
    items = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
    return flags, items[:-1], items[-1]


def dockerignore(repo):
    path = os.path.join(repo, ".dockerignore")
    if not os.path.exists(path):
        return []
    pats = []
    for line in read(path).splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            pats.append(line.lstrip("/"))
    return pats


def ignored(rel, patterns):
    parts = rel.split("/")
    for pat in patterns:
        bare = pat[3:] if pat.startswith("**/") else pat
        for i in range(len(parts)):
            prefix = "/".join(parts[: i + 1])
            if fnmatch.fnmatch(prefix, pat):
                return True
            if pat.startswith("**/") and fnmatch.fnmatch(parts[i], bare):
                return True
    return False


def apt_packages(stage):
    pkgs = []
    for word, rest in stage["ops"]:
        if word != "RUN":
            continue
        for cmd in re.split(r"&&|;|\|\|", rest):
            toks = shlex.split(cmd)
            if "apt-get" in toks and "install" in toks:
                after = toks[toks.index("install") + 1 :]
                pkgs += [t for t in after if not t.startswith("-")]
    return pkgs


def dpkg_owners(paths):
    """{path: package} for the paths some package ships. One dpkg -S for
    all of them; usrmerge: each is also tried under its other spelling."""
    spellings = {}
    for path in paths:
        real = os.path.realpath(path)
        for p in (path, real):
            spellings.setdefault(p, path)
            other = p[4:] if p.startswith("/usr/") else "/usr" + p
            spellings.setdefault(other, path)
    r = subprocess.run(["dpkg", "-S", *spellings], capture_output=True,
                       text=True)
    owners = {}
    for line in r.stdout.splitlines():
        pkgs, _, path = line.partition(": ")
        if path in spellings:
            owners.setdefault(spellings[path], pkgs.split(",")[0].split(":")[0])
    return owners


def linked_libraries(binary):
    """{soname: path} from ldd, and the sonames the binary itself NEEDs."""
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True,
                         check=True).stdout
    libs = {}
    for line in ldd.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line)
        if m:
            libs[m.group(1)] = m.group(2)
        elif "not found" in line:
            libs[line.split()[0]] = None
    dyn = subprocess.run(["readelf", "-d", binary], capture_output=True,
                         text=True, check=True).stdout
    needed = re.findall(r"Shared library: \[([^\]]+)\]", dyn)
    return libs, needed


def depends_closure(pkgs):
    """pkgs and everything they depend on, from dpkg's database."""
    r = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\t${Depends}, ${Pre-Depends}\n"],
        capture_output=True, text=True, check=True)
    deps = {}
    for line in r.stdout.splitlines():
        name, _, rest = line.partition("\t")
        names = deps.setdefault(name, set())
        for group in rest.split(","):
            for alt in group.split("|"):
                dep = alt.strip().split(" ")[0].split(":")[0]
                if dep:
                    names.add(dep)
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(deps.get(p, ()))
    return seen


def check(args):
    problems = []
    text = read(args.dockerfile)
    stages = parse_stages(text)
    if len(stages) < 2:
        return ["the Dockerfile needs a build and a runtime stage"]
    build, runtime = stages[0], stages[-1]
    if build["image"] != "debian:12" or build["name"] != "build":
        problems.append("the first stage must be 'FROM debian:12 AS build'")
    if not any(w == "RUN" and "scripts/install-deps.sh" in r
               for w, r in build["ops"]):
        problems.append("the build stage must run scripts/install-deps.sh")
    if not any(w == "RUN" and "BUILD_DIR=/build " in r for w, r in build["ops"]):
        problems.append("the build stage must build with BUILD_DIR=/build")
    if runtime["image"] != "debian:12-slim":
        problems.append("the runtime stage must be FROM debian:12-slim")

    ignore = dockerignore(args.repo)
    stage_names = {s["name"] for s in stages if s["name"]}
    for stage in stages:
        for word, rest in stage["ops"]:
            if word not in ("COPY", "ADD"):
                continue
            flags, sources, dest = copy_args(rest)
            src_stage = flags.get("from")
            for src in sources:
                if src_stage:
                    if src_stage not in stage_names:
                        problems.append(f"COPY --from={src_stage}: no such stage")
                    elif not src.startswith("/build/"):
                        problems.append(f"COPY --from={src_stage} {src}: "
                                        "only /build/ outputs are known")
                    elif not os.path.exists(
                            os.path.join(args.build_dir, src[len("/build/"):])):
                        problems.append(f"COPY --from={src_stage} {src}: the "
                                        "build does not produce it")
                    continue
                rel = os.path.normpath(src).lstrip("/")
                matches = glob.glob(os.path.join(args.repo, rel))
                if rel == ".":
                    continue
                if not matches:
                    problems.append(f"COPY {src}: not in the repo")
                elif ignored(rel, ignore):
                    problems.append(f"COPY {src}: excluded by .dockerignore")

    # config/ lands under /usr/share/mediagw with its own names.
    for word, rest in runtime["ops"]:
        if word == "COPY":
            flags, sources, dest = copy_args(rest)
            for src in sources:
                if src.startswith("config/"):
                    want = "/usr/share/mediagw/" + src[len("config/"):]
                    got = dest + os.path.basename(src) if dest.endswith("/") else dest
                    if got.rstrip("/") != want:
                        problems.append(f"COPY {src} {dest}: must be {want}")

    # The runtime user and the chart's.
    user = [r for w, r in runtime["ops"] if w == "USER"]
    uid = user[-1].split(":")[0] if user else "root"
    if uid in ("root", "0") or not uid.isdigit():
        problems.append(f"USER {uid}: the runtime must run as a numeric non-root uid")
    values = read(os.path.join(args.repo, "helm/mediagw/values.yaml"))
    chart_uid = re.search(r"^\s+runAsUser:\s*(\d+)", values, re.M)
    if not chart_uid or chart_uid.group(1) != uid:
        problems.append(f"USER {uid} differs from the chart's runAsUser "
                        f"{chart_uid.group(1) if chart_uid else '(none)'}")

    # Libraries.
    listed = apt_packages(runtime)
    if not listed:
        problems.append("the runtime stage installs no packages (apt-get install)")
    for pkg, why in RUNTIME_EXTRA.items():
        if pkg not in listed:
            problems.append(f"runtime packages: {pkg} is missing ({why})")
    libs, needed = linked_libraries(args.binary)
    closure = depends_closure(listed)
    owners = dpkg_owners([p for p in libs.values() if p])
    for soname, path in sorted(libs.items()):
        if path is None:
            problems.append(f"ldd: {soname} not found")
            continue
        pkg = owners.get(path)
        if pkg is None:
            problems.append(f"ldd: {path} belongs to no Debian package")
        elif soname in needed and pkg not in listed:
            problems.append(f"runtime packages: {pkg} is missing (the binary "
                            f"links {soname})")
        elif pkg not in closure:
            problems.append(f"runtime packages: {pkg} ({soname}) comes with "
                            "none of them")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", required=True)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--dockerfile")
    args = ap.parse_args()
    args.dockerfile = args.dockerfile or os.path.join(args.repo, "Dockerfile")
    problems = check(args)
    for p in problems:
        print(f"{args.dockerfile}: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"{args.dockerfile}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
