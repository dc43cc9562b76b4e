#!/usr/bin/env python3
"""Helpers of bench/remediation.sh (parsing and counting only; runs no tool itself).

Lock kinds: cargo (Cargo.lock), npm (package-lock.json / npm-shrinkwrap.json, v1/v2/v3), uv (uv.lock),
poetry (poetry.lock), requirements (requirements*.txt `==` pins).

Commands (python3 remediation_helper.py CMD ARGS...):
  stubs ROOT                   write the sources cargo needs to load every package of ROOT
  moved KIND OLD NEW           "moved sym changed": entries moved (the bench's measure, see moved()),
                               the symmetric difference, and entries changed at all
  findings AUDIT.json          (name, version, id) of every vulnerability, tab-separated
  fixed BEFORE.tsv AFTER.tsv   number of (name, id) pairs of BEFORE gone in AFTER
  gaps A.tsv B.tsv             findings of A whose (name, id) B no longer has
  cargo-audit-count JSON       cargo-audit's vulnerability count
  apply-summary APPLY.json     "applied N, refused M, ..."
  apply-reasons APPLY.json     the refusal reasons, counted (package and versions made generic)
  ledger-results LOG.json OUT  apply results from `nanoup log --json` (an apply killed early)
  npm-problems LS.json DIR     `npm ls --json` problems, one a line, DIR made relative
  npm-format-opts LOCK         the npm options that keep LOCK's format (lockfile version, resolved)
  poetry-consistency LOCK      dependencies of poetry.lock entries that the locked version does not
                               satisfy (needs poetry-core: run with Poetry's python)
  result OUT key=value...      write a result document
  table RESULTS_DIR SET...     the summary table
"""
import json, os, re, sys, tomllib
from collections import Counter


def stubs(root):
    """Write the sources every [package] of ROOT needs for cargo to load it; print what was made."""
    made = []

    def touch(path, text):
        p = os.path.normpath(path)
        if os.path.exists(p):
            return
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        made.append(os.path.relpath(p, root))

    main = "fn main() {}\n"
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in (".git", "target"))
        if "Cargo.toml" not in files:
            continue
        with open(os.path.join(dirpath, "Cargo.toml"), "rb") as f:
            m = tomllib.load(f)
        pkg = m.get("package")
        if not isinstance(pkg, dict):
            continue  # virtual workspace manifest
        j = lambda p: os.path.join(dirpath, p)
        lib = m.get("lib")
        touch(j(lib["path"]) if isinstance(lib, dict) and "path" in lib else j("src/lib.rs"), "")
        # src/lib.rs (or [lib] path) always: every package then has a target, and an extra lib
        # changes nothing cargo resolves. Bins: their path, else the inferred one.
        for b in m.get("bin", []):
            if "path" in b:
                touch(j(b["path"]), main)
            elif b.get("name") == pkg.get("name"):
                touch(j("src/main.rs"), main)
            elif "name" in b:
                touch(j(f"src/bin/{b['name']}.rs"), main)
        for kind in ("test", "bench", "example"):
            for t in m.get(kind, []):
                if "path" in t:
                    touch(j(t["path"]), main)
        build = pkg.get("build")
        if isinstance(build, str):
            touch(j(build), main)
        elif build is True:
            touch(j("build.rs"), main)
    print(" ".join(made) if made else "(none)")


# -- lock entries --------------------------------------------------------------------------------

def canon(name):
    """PEP 503 name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def dump(value):
    return json.dumps(value, sort_keys=True)


def toml_entries(path, kind):
    """(name, version, content) of every [[package]] of a Cargo.lock / uv.lock / poetry.lock."""
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    files = (doc.get("metadata") or {}).get("files") or {}  # poetry lock format 1.x
    out = []
    for p in doc.get("package", []):
        name = p.get("name", "?")
        if kind == "cargo":
            key = name
        else:
            key = canon(name)
        content = dump([p, files.get(name)]) if kind == "poetry" and files else dump(p)
        out.append((key, str(p.get("version", "")), content))
    return out


PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*===?\s*([^\s;\\#]+)")


def requirement_entries(path):
    """(name, version, line) of every `==` pin of a requirements file (continuations joined)."""
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        m = PIN.match(line)
        if m:
            out.append((canon(m.group(1)), m.group(3), line))
    return out


def npm_entries(path):
    """{location: (version, content)} of a package-lock.json (v2/v3 `packages` and the nested
    `dependencies` of v1 and of v2's legacy section, merged by location as nanoup merges them),
    and its other top-level fields."""
    with open(path) as f:
        doc = json.load(f)
    merged = {}
    for loc, entry in (doc.get("packages") or {}).items():
        merged.setdefault(loc, [None, None])[0] = entry

    def legacy(parent, deps):
        for key, entry in deps.items():
            loc = f"{parent}/node_modules/{key}" if parent else f"node_modules/{key}"
            content = dict(entry) if isinstance(entry, dict) else {"": entry}
            nested = content.pop("dependencies", None)
            merged.setdefault(loc, [None, None])[1] = content
            if isinstance(nested, dict):
                legacy(loc, nested)

    if isinstance(doc.get("dependencies"), dict):
        legacy("", doc["dependencies"])
    fields = {k: v for k, v in doc.items()
              if not (k in ("packages", "dependencies") and isinstance(v, dict))}
    out = {}
    for loc, (p, l) in merged.items():
        version = (p or {}).get("version") if p is not None else (l or {}).get("version")
        out[loc] = (version, dump([p, l]))
    return out, fields


def moved(kind, old, new):
    """(moved, symmetric difference, changed at all) between two lockfiles.

    npm: moved = install locations (root excluded) whose installed version changed, added or
    removed; sym = (location, version) pairs in one tree only; changed = locations whose entry
    differs in any field, plus top-level fields that differ (nanoup's own count).
    Others: moved = per name max(#(name, version) removed, #added), summed; sym = size of the
    symmetric difference of the (name, version) multisets; changed = the same per-name measure on
    whole entries (an entry rewritten without a version move counts)."""
    if kind == "npm":
        (a, fa), (b, fb) = npm_entries(old), npm_entries(new)
        locs = set(a) | set(b)
        ver = lambda d, l: d[l][0] if l in d else ("<absent>",)
        mv = sum(1 for l in locs if l and ver(a, l) != ver(b, l))
        pa = Counter((l, str(v)) for l, (v, _) in a.items() if l)
        pb = Counter((l, str(v)) for l, (v, _) in b.items() if l)
        sym = sum(((pa - pb) + (pb - pa)).values())
        changed = sum(1 for l in locs if (a.get(l) or (None, None))[1] != (b.get(l) or (None, None))[1])
        changed += sum(1 for k in set(fa) | set(fb) if fa.get(k) != fb.get(k))
        return mv, sym, changed
    read = requirement_entries if kind == "requirements" else (lambda p: toml_entries(p, kind))
    ea, eb = read(old), read(new)

    def per_name(a, b):
        gone, added = a - b, b - a
        per = {}
        for (n, _), c in gone.items():
            per.setdefault(n, [0, 0])[0] += c
        for (n, _), c in added.items():
            per.setdefault(n, [0, 0])[1] += c
        return sum(max(g, ad) for g, ad in per.values()), sum(gone.values()) + sum(added.values())

    mv, sym = per_name(Counter((n, v) for n, v, _ in ea), Counter((n, v) for n, v, _ in eb))
    changed, _ = per_name(Counter((n, c) for n, _, c in ea), Counter((n, c) for n, _, c in eb))
    return mv, sym, changed


# -- findings and results ------------------------------------------------------------------------

def findings(path):
    """(name, version, id) of every `vulnerability` finding of a nanoup.audit/v1 document."""
    with open(path) as f:
        d = json.load(f)
    if d.get("schema") != "nanoup.audit/v1":
        raise SystemExit(f"{path}: not nanoup.audit/v1 JSON")
    if d.get("errors"):
        print(f"warning: audit reported errors: {d['errors']}", file=sys.stderr)
    return sorted({(x["name"], x["version"], x["id"]) for x in d.get("findings", [])
                   if x.get("kind", "vulnerability") == "vulnerability"})


def read_tsv(path):
    with open(path) as f:
        return [tuple(l.rstrip("\n").split("\t")) for l in f if l.strip()]


def pairs(path):
    return {(n, i) for n, _, i in read_tsv(path)}


def cargo_audit_count(path):
    with open(path) as f:
        d = json.load(f)
    lst = (d.get("vulnerabilities") or {}).get("list") or []
    return len({(v["package"]["name"], v["package"]["version"], v["advisory"]["id"]) for v in lst})


def apply_results(path):
    with open(path) as f:
        return json.load(f).get("results", [])


def apply_summary(path):
    c = Counter(r.get("status", "?") for r in apply_results(path))
    return ", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "no results"


def generic_reason(r):
    """The reason with the package's name and versions replaced (NAME, FROM, TO) and line numbers
    dropped, so that the same refusal of several packages counts as one."""
    text = " ".join(str(r.get("reason") or "").split())
    for key, word in (("name", "NAME"), ("from", "FROM"), ("to", "TO")):
        v = r.get(key)
        if v:
            text = re.sub(r"(?<![\w.-])" + re.escape(str(v)) + r"(?![\w-]|\.\d)", word, text)
    return re.sub(r"(\.(?:lock|json|txt|toml)):\d+", r"\1:N", text)


def apply_reasons(path, width=100, top=8):
    """Refusal reasons (first WIDTH characters of the generic text), counted, most frequent first;
    under a reason whose texts differ after WIDTH characters, the next clause (after "; "), counted."""
    groups = {}
    for r in apply_results(path):
        if r.get("status") != "refused":
            continue
        g = generic_reason(r)
        groups.setdefault(g[:width], []).append(g)
    if not groups:
        print("    (none refused)")
        return
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for key, texts in ranked[:top]:
        print(f"    {len(texts):3d}x {key}{'…' if any(len(t) > width for t in texts) else ''}")
        subs = Counter(t.split("; ", 1)[1][:width] if "; " in t else "" for t in texts)
        if len(subs) > 1 or (len(key) == width and "; " in texts[0] and len(texts[0].split("; ", 1)[0]) >= width):
            for sub, n in subs.most_common(4):
                print(f"           {n:3d}x {sub or '(nothing more)'}")
    if len(ranked) > top:
        print(f"    ... and {len(ranked) - top} more reasons ({sum(len(t) for _, t in ranked[top:])} refusals)")


def ledger_results(path, out):
    """A nanoup.apply/v1-like document from `nanoup log --json` (for an apply killed before it
    printed its results): apply events as applied, refusal events as refused."""
    with open(path) as f:
        d = json.load(f)
    status = {"apply": "applied", "refusal": "refused", "skip": "skipped"}
    results = []
    for e in sorted(d.get("events", []), key=lambda e: e.get("seq", 0)):
        if e.get("kind") in status:
            results.append({"status": status[e["kind"]], "name": e.get("name"), "from": e.get("from"),
                            "to": e.get("to"), "reason": (e.get("detail") or {}).get("reason")})
    with open(out, "w") as f:
        json.dump({"schema": "nanoup.apply/v1", "source": "ledger", "results": results}, f)


# -- checks --------------------------------------------------------------------------------------

def npm_problems(path, directory):
    """`npm ls --json` problems, with DIR made relative; a failure of npm ls itself is one line."""
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        print(f"npm ls gave no JSON ({e.__class__.__name__})")
        return
    directory = os.path.realpath(directory)
    seen = set()
    for p in d.get("problems", []) or []:
        p = str(p).replace(directory + "/", "").replace(directory, ".")
        if p not in seen:
            seen.add(p)
            print(p)
    err = d.get("error")
    if isinstance(err, dict) and err.get("code") not in (None, "ELSPROBLEMS"):
        print(f"npm ls error {err.get('code')}: {' '.join(str(err.get('summary', '')).split())[:200]}")


def npm_format_opts(path):
    with open(path) as f:
        doc = json.load(f)
    opts = []
    v = doc.get("lockfileVersion", 1)
    if v in (1, 2, 3):
        opts.append(f"--lockfile-version={v}")
    entries, _ = npm_entries(path)
    with_, without = 0, 0
    for loc, (_, content) in entries.items():
        p, l = json.loads(content)
        obj = p if p is not None else l
        if not loc or not isinstance(obj, dict) or "integrity" not in obj:
            continue
        if "resolved" in obj:
            with_ += 1
        else:
            without += 1
    if with_:
        opts.append("--omit-lockfile-registry-resolved=false")
    elif without:
        opts.append("--omit-lockfile-registry-resolved=true")
    print(" ".join(opts))


def poetry_consistency(path):
    """Each (package, dependency) of a poetry.lock whose locked version(s) the dependency's
    constraint rejects (optional dependencies, installed only for an extra, left out), or a
    required dependency without an entry."""
    from poetry.core.constraints.version import Version, parse_constraint

    with open(path, "rb") as f:
        doc = tomllib.load(f)
    locked = {}
    for p in doc.get("package", []):
        locked.setdefault(canon(p["name"]), []).append(p.get("version", ""))

    def allows(constraint, version):
        try:
            return parse_constraint(constraint or "*").allows(Version.parse(version))
        except Exception:  # an unparsable constraint or version: not this check's business
            return True

    for p in doc.get("package", []):
        for dep, spec in sorted((p.get("dependencies") or {}).items()):
            alts = spec if isinstance(spec, list) else [spec]
            alts = [a if isinstance(a, dict) else {"version": a} for a in alts]
            have = locked.get(canon(dep))
            if not have:
                if all(not a.get("optional") and not a.get("markers") and not a.get("python") for a in alts):
                    print(f"{p['name']} {p.get('version')} needs {dep}, which has no entry")
                continue
            # An optional dependency (installed only for an extra) binds nothing unless asked:
            # Poetry's solver leaves it out, so do we.
            required = [a for a in alts if not a.get("optional")]
            if required and not any(allows(a.get("version"), v) for a in required for v in have):
                want = " | ".join(str(a.get("version")) for a in required)
                print(f"{p['name']} {p.get('version')} needs {dep} {want}, the lock has {', '.join(have)}")


# -- the summary table ---------------------------------------------------------------------------

def table(results_dir, sets):
    cols = ["set", "ecosystem", "advisories before", "fixed nanoup", "fixed hammer",
            "moved nanoup", "moved hammer", "ratio", "locks rejected",
            "trailer mismatches", "commits", "wall nanoup", "wall hammer"]
    rows, tot = [], Counter()
    walls = [0.0, 0.0]
    for s in sets:
        p = os.path.join(results_dir, s.replace("/", "+") + ".json")
        if not os.path.exists(p):
            short = s.split("/")[0]
            rows.append([short.split("__")[1] if "__" in short else short, "", "skipped"] + [""] * (len(cols) - 3))
            continue
        with open(p) as f:
            r = json.load(f)
        state = r.get("hammer_state", "ok" if r.get("rc_b", 0) == 0 else "failed")
        ok_b = state == "ok"
        mark = {"ok": "", "failed": " (FAILED)", "none": "", "unavailable": " (n/a)"}[state]
        note = f" ({r['hammer_note']})" if r.get("hammer_note") and ok_b else ""
        hb = lambda k: f"{r[k]}{mark}" if state in ("ok", "failed") else "-"
        ratio = f"{r['moved_a'] / r['moved_b']:.3f}" if ok_b and r["moved_b"] else "-"
        rejected = str(r["rejected"]) if r.get("rejected_checked", 1) else "n/a"
        if r.get("rejected_b") == "yes":
            rejected += " +hammer"
        mismatch = str(r["mismatch"])
        if r.get("mismatch_changed"):
            mismatch += f" ({r['mismatch_changed']} = changed)"
        rows.append([r["short"], r.get("eco", "cargo"), r["before"], r["fixed_a"], hb("fixed_b") + note,
                     r["moved_a"], hb("moved_b"), ratio, rejected, mismatch, r["commits"],
                     f"{r['wall_a']:.1f}s" + (" TIMEOUT" if r.get("timeout") else ""),
                     f"{r['wall_b']:.1f}s{mark}" if state in ("ok", "failed") else "-"])
        for k in ("before", "fixed_a", "moved_a", "rejected", "mismatch", "commits"):
            tot[k] += r[k]
        if state in ("ok", "failed"):
            tot["fixed_b"] += r["fixed_b"]
            tot["moved_b"] += r["moved_b"]
            walls[1] += r["wall_b"]
        if ok_b:  # the ratio compares sets where both tools ran
            tot["ratio_a"] += r["moved_a"]
            tot["ratio_b"] += r["moved_b"]
        walls[0] += r["wall_a"]
    ratio = f"{tot['ratio_a'] / tot['ratio_b']:.3f}" if tot["ratio_b"] else "-"
    rows.append(["TOTAL", "", tot["before"], tot["fixed_a"], tot["fixed_b"], tot["moved_a"], tot["moved_b"],
                 ratio, tot["rejected"], tot["mismatch"], tot["commits"], f"{walls[0]:.1f}s", f"{walls[1]:.1f}s"])
    rows = [[str(c) for c in r] for r in rows]
    w = [max(len(cols[i]), *(len(r[i]) for r in rows)) for i in range(len(cols))]
    line = lambda r: " | ".join(c.ljust(w[i]) if i < 2 else c.rjust(w[i]) for i, c in enumerate(r)).rstrip()
    print(line(cols))
    print("-+-".join("-" * x for x in w))
    for r in rows[:-1]:
        print(line(r))
    print("-+-".join("-" * x for x in w))
    print(line(rows[-1]))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "stubs":
        stubs(args[0])
    elif cmd == "moved":
        print(*moved(args[0], args[1], args[2]))
    elif cmd == "findings":
        for t in findings(args[0]):
            print("\t".join(t))
    elif cmd == "fixed":  # pairs of BEFORE gone in AFTER
        print(len(pairs(args[0]) - pairs(args[1])))
    elif cmd == "gaps":  # findings of AFTER_A whose (name, id) AFTER_B no longer has
        b = pairs(args[1])
        for n, v, i in read_tsv(args[0]):
            if (n, i) not in b:
                print(f"    {n} {v} {i}")
    elif cmd == "cargo-audit-count":
        print(cargo_audit_count(args[0]))
    elif cmd == "apply-summary":
        print(apply_summary(args[0]))
    elif cmd == "apply-reasons":
        apply_reasons(args[0])
    elif cmd == "ledger-results":
        ledger_results(args[0], args[1])
    elif cmd == "npm-problems":
        npm_problems(args[0], args[1])
    elif cmd == "npm-format-opts":
        npm_format_opts(args[0])
    elif cmd == "poetry-consistency":
        poetry_consistency(args[0])
    elif cmd == "result":  # result OUT key=value...
        r = {}
        for kv in args[1:]:
            k, v = kv.split("=", 1)
            for conv in (int, float):
                try:
                    v = conv(v)
                    break
                except ValueError:
                    pass
            r[k] = v
        with open(args[0], "w") as f:
            json.dump(r, f)
    elif cmd == "table":
        table(args[0], args[1:])
    else:
        raise SystemExit(f"unknown command {cmd}")
