#!/usr/bin/env python3
"""For every vulnerable crate of the corpus Cargo.locks: nanoup's planned version, the lowest fixed
version the advisories name, and what `cargo update -p NAME@VERSION` (newest compatible) picks,
with the blast radius of each (lockfile entries changed). Live: needs crates.io.

Usage: bench/plan-vs-cargo-update.py [NANOUP_BINARY]  (default target/release/nanoup)
"""
import json, os, shutil, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = os.path.join(os.path.dirname(root), "shared")
nanoup = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "target/release/nanoup")
home = tempfile.mkdtemp()
env = dict(os.environ, NANOUP_HOME=home)
subprocess.run([nanoup, "db", "import", os.path.join(shared, "osv/crates.io/all.zip")], env=env, check=True,
               stdout=subprocess.DEVNULL)

def entries(lock):
    out, name = [], None
    for line in open(lock):
        if line.startswith("name = "):
            name = line.split('"')[1]
        elif line.startswith("version = \"") and name:
            out.append((name, line.split('"')[1])); name = None
    return out

def changed(a, b):
    """Lockfile entries changed: per crate name, the larger of versions removed and added."""
    from collections import Counter
    ca, cb = Counter(entries(a)), Counter(entries(b))
    gone, new = Counter(n for n, _ in (ca - cb).elements()), Counter(n for n, _ in (cb - ca).elements())
    return sum(max(gone[n], new[n]) for n in set(gone) | set(new))

rows = []
for set_name in sorted(os.listdir(os.path.join(shared, "corpus/cargo"))):
    src = os.path.join(shared, "corpus/cargo", set_name)
    audit = json.loads(subprocess.run([nanoup, "audit", "--format", "json", src], env=env,
                                      capture_output=True, text=True).stdout)
    plan = json.loads(subprocess.run([nanoup, "plan", "--min-age", "0s", "--format", "json", src], env=env,
                                     capture_output=True, text=True, check=True).stdout)
    planned = {(u["name"], u["from"]): u for u in plan["updates"]}
    seen = set()
    for f in audit["findings"]:
        key = (f["name"], f["version"])
        if key in seen:
            continue
        seen.add(key)
        work = tempfile.mkdtemp()
        shutil.copytree(src, work, dirs_exist_ok=True)
        # The corpus holds manifests and lockfiles only: give every package a stub target.
        for d, _, files in os.walk(work):
            if "Cargo.toml" in files:
                os.makedirs(os.path.join(d, "src"), exist_ok=True)
                for stub, text in (("main.rs", "fn main() {}\n"), ("lib.rs", "")):
                    if not os.path.exists(os.path.join(d, "src", stub)):
                        open(os.path.join(d, "src", stub), "w").write(text)
        before = os.path.join(work, "Cargo.lock.orig")
        shutil.copy(os.path.join(work, "Cargo.lock"), before)
        r = subprocess.run(["cargo", "update", "-p", f"{f['name']}@{f['version']}"], cwd=work,
                           capture_output=True, text=True)
        if r.returncode:
            print(f"# {set_name} {f['name']}: cargo update failed: {r.stderr.strip().splitlines()[-1:]}",
                  file=sys.stderr)
        picked = [v for n, v in entries(os.path.join(work, "Cargo.lock")) if n == f["name"]
                  and (n, v) not in entries(before)]
        u = planned.get(key)
        rows.append((set_name.split("__")[1], f["name"], f["version"], u["to"] if u else "unfixable",
                     f.get("lowest_fix") or "-", picked[0] if picked else ("(failed)" if r.returncode else "(same)"),
                     len(u["blast_radius"]) if u else 0, changed(before, os.path.join(work, "Cargo.lock"))))
        shutil.rmtree(work)

print(f"{'set':<14} {'crate':<16} {'current':<9} {'planned':<10} {'lowest fix':<11} {'cargo update':<13} radius(nanoup) radius(cargo)")
for r in rows:
    print(f"{r[0]:<14} {r[1]:<16} {r[2]:<9} {r[3]:<10} {r[4]:<11} {r[5]:<13} {r[6]:>14} {r[7]:>13}")
