#!/usr/bin/env python3
"""pkgcraft's version and dependency conformance vectors, checked through the CLI's batch modes.

Reads $SHARED/pkgcraft-testdata/toml/{version,dep}.toml (format: ../shared/docs/portage-facts.md §6.4) and
prints TAP, one test per TOML case. Every answer comes from `homesetup` itself, one process per batch mode:
  vercmp --batch                  bare versions: validity (as "V<TAB>V"), compares, sorting, hashing
  atom --batch                    deps (and versions with an operator, as "<a/b-1"): validity and fields
  atom --compare --batch          dep compares and sorting (and operator versions' sorting)
  atom --intersects --batch       dep and version intersects
Where Portage differs from pkgcraft (pkgcraft caps numbers at u64, Portage does not), the case is reported
as "ok N - ... # SKIP portage has no u64 limit" after checking that we do accept it, as Portage does.
"""
import functools
import itertools
import json
import os
import re
import subprocess
import sys

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SHARED = os.environ.get("SHARED") or os.path.join(TOP, "..", "shared")
DATA = os.path.join(SHARED, "pkgcraft-testdata", "toml")
HOMESETUP = os.environ.get("HOMESETUP") or os.path.join(os.environ.get("HS_BUILD", TOP), "bin", "homesetup")
U64_MAX = 2**64 - 1
OPS = ("<=", ">=", "<", ">", "=", "~")


class Batch:
    """Collects the queries of one batch mode, answers them all with one homesetup process."""

    def __init__(self, *args):
        self.args = list(args)
        self.queries = []
        self.index = {}
        self.answers = None

    def ask(self, line):
        if "\n" in line or "\r" in line:
            raise ValueError("query with a line break: %r" % line)
        if line not in self.index:
            self.index[line] = len(self.queries)
            self.queries.append(line)
        return line

    def run(self):
        if not self.queries:
            self.answers = []
            return
        data = "".join(q + "\n" for q in self.queries)
        p = subprocess.run([HOMESETUP] + self.args, input=data.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, check=False)
        out = p.stdout.decode("utf-8", "replace").split("\n")
        if out and out[-1] == "":
            out.pop()
        if p.returncode != 0 or len(out) != len(self.queries):
            raise RuntimeError("homesetup %s: exit %d, %d answers for %d queries: %s" % (
                " ".join(self.args), p.returncode, len(out), len(self.queries),
                p.stderr.decode(errors="replace").strip()))
        self.answers = out

    def __getitem__(self, line):
        return self.answers[self.index[line]]


vercmp = Batch("vercmp", "--batch")
atoms = Batch("atom", "--batch")
atom_cmp = Batch("atom", "--compare", "--batch")
atom_isect = Batch("atom", "--intersects", "--batch")


class Tap:
    def __init__(self):
        self.tests = []  # (ok, description, diagnostics, directive)
        self.u64 = []

    def add(self, ok, desc, diag=None, directive=None):
        self.tests.append((bool(ok), desc, diag, directive))

    def emit(self):
        print("1..%d" % len(self.tests))
        failed = 0
        for n, (ok, desc, diag, directive) in enumerate(self.tests, 1):
            desc = desc.replace("#", "\\#")
            line = "%s %d - %s" % ("ok" if ok else "not ok", n, desc)
            if directive:
                line += " # " + directive
            print(line)
            if not ok:
                failed += 1
                for d in (diag or "").splitlines():
                    print("# got " + d if not d.startswith("#") else d)
        if self.u64:
            print("# accepted although pkgcraft rejects them (Portage has no u64 limit):")
            for v in self.u64:
                print("#   %s" % v)
        return failed


def overflows_u64(s):
    return any(int(d) > U64_MAX for d in re.findall(r"\d+", s))


def split_op(v):
    """'<=1' -> ('<=', '1'); '=1*' -> ('=', '1*'); '1' -> ('', '1')."""
    for op in OPS:
        if v.startswith(op):
            return op, v[len(op):]
    return "", v


def version_atom(v):
    """A version (maybe with an operator) as an atom: '<1' -> '<a/b-1', '1' -> '=a/b-1'."""
    op, ver = split_op(v)
    return "%sa/b-%s" % (op or "=", ver)


def cmp_query(batch, a, b):
    return batch.ask("%s\t%s" % (a, b))


def parse_compare(expr):
    m = re.fullmatch(r"(.+?) (==|!=|<=|>=|<|>) (.+)", expr)
    if not m:
        raise ValueError("bad compare expression %r" % expr)
    return m.group(1), m.group(2), m.group(3)


def holds(result, op):
    if result not in ("<", "==", ">"):
        return False
    return {
        "==": result == "==", "!=": result != "==", "<": result == "<", ">": result == ">",
        "<=": result in ("<", "=="), ">=": result in (">", "=="),
    }[op]


def pkgcraft_sort(items, cmp):
    """pkgcraft's check: parse, reverse, stable-sort."""
    return sorted(reversed(items), key=functools.cmp_to_key(cmp))


def to_int(r):
    return {"<": -1, "==": 0, ">": 1}[r]


# ---- plan every query, then run the four processes, then judge ------------------------------------------

def plan_versions(tv, checks):
    for v in tv.get("valid", []):
        op, _ = split_op(v)
        q = atoms.ask(version_atom(v)) if op else vercmp.ask("%s\t%s" % (v, v))
        checks.append(("version valid", v, True, op != "", q))
    for v in tv.get("invalid", []):
        op, _ = split_op(v)
        q = atoms.ask(version_atom(v)) if op else vercmp.ask("%s\t%s" % (v, v))
        checks.append(("version invalid", v, False, op != "", q))


def judge_version_validity(tap, checks):
    for kind, v, want_valid, as_atom, q in checks:
        if as_atom:
            d = json.loads(atoms[q])
            got_valid, why = d["valid"], d.get("error") or d.get("canonical")
        else:
            got_valid, why = vercmp[q] != "invalid", vercmp[q]
        desc = "%s %r" % (kind, v)
        if not want_valid and overflows_u64(v):
            tap.u64.append(v)
            tap.add(got_valid, desc + " (accepted)", "rejected: %s" % why,
                    "SKIP portage has no u64 limit")
            continue
        tap.add(got_valid == want_valid, desc, "%s: %s" % ("valid" if got_valid else "invalid", why))


def main():
    if tomllib is None:
        print("1..0 # SKIP tomllib needs Python 3.11")
        return 0
    if not os.path.isdir(DATA):
        print("1..0 # SKIP ../shared/pkgcraft-testdata not found")
        return 0
    if not os.access(HOMESETUP, os.X_OK):
        print("1..0 # SKIP homesetup is not built (%s)" % HOMESETUP)
        return 0
    with open(os.path.join(DATA, "version.toml"), "rb") as f:
        tv = tomllib.load(f)
    with open(os.path.join(DATA, "dep.toml"), "rb") as f:
        td = tomllib.load(f)

    tap = Tap()
    jobs = []  # closures run after the batches, in TOML order

    # -- versions: valid / invalid
    vchecks = []
    plan_versions(tv, vchecks)
    jobs.append(lambda: judge_version_validity(tap, vchecks))

    # -- versions: compares
    for expr in tv.get("compares", []):
        a, op, b = parse_compare(expr)
        q = cmp_query(vercmp, a, b)
        jobs.append(lambda expr=expr, op=op, q=q: tap.add(
            holds(vercmp[q], op), "version compare %s" % expr, vercmp[q]))

    # -- versions: intersects (every pair, through atoms: '0' is '=a/b-0')
    for case in tv.get("intersects", []):
        vals, status = case["vals"], case["status"]
        qs = [(a, b, cmp_query(atom_isect, version_atom(a), version_atom(b)))
              for a, b in itertools.permutations(vals, 2)]

        def judge(vals=vals, status=status, qs=qs):
            bad = ["%s %s: %s" % (a, b, atom_isect[q]) for a, b, q in qs
                   if atom_isect[q] != ("yes" if status else "no")]
            tap.add(not bad, "version intersects %s == %s" % (" ".join(vals), status), "\n".join(bad))
        jobs.append(judge)

    # -- versions: sorting (bare versions with vercmp; with operators as atoms)
    for case in tv.get("sorting", []):
        jobs.append(plan_sorting(tap, "version", case["sorted"], case["equal"],
                                 any(split_op(v)[0] for v in case["sorted"])))

    # -- versions: hashing (equal iff the set of parsed versions has one element)
    for case in tv.get("hashing", []):
        vs, equal = case["versions"], case["equal"]
        qs = [(a, b, cmp_query(vercmp, a, b)) for a, b in itertools.combinations(vs, 2)]

        def judge(vs=vs, equal=equal, qs=qs):
            if equal:
                bad = ["%s %s: %s" % (a, b, vercmp[q]) for a, b, q in qs if vercmp[q] != "=="]
            else:
                bad = ["%s %s: %s" % (a, b, vercmp[q]) for a, b, q in qs if vercmp[q] not in ("<", ">")]
            tap.add(not bad, "version hashing %s %s" % (" ".join(vs), "equal" if equal else "distinct"),
                    "\n".join(bad))
        jobs.append(judge)

    # -- deps: valid, with every field
    for case in td.get("valid", []):
        q = atoms.ask(case["dep"])
        jobs.append(lambda case=case, q=q: judge_dep_valid(tap, case, atoms[q]))

    # -- deps: invalid
    for dep in td.get("invalid", []):
        q = atoms.ask(dep)

        def judge(dep=dep, q=q):
            d = json.loads(atoms[q])
            if overflows_u64(dep) and d["valid"]:
                tap.u64.append(dep)
                tap.add(True, "dep invalid %r" % dep, None, "SKIP portage has no u64 limit")
                return
            tap.add(not d["valid"], "dep invalid %r" % dep, "valid: %s" % d.get("canonical"))
        jobs.append(judge)

    # -- deps: compares
    for expr in td.get("compares", []):
        a, op, b = parse_compare(expr)
        q = cmp_query(atom_cmp, a, b)
        jobs.append(lambda expr=expr, op=op, q=q: tap.add(
            holds(atom_cmp[q], op), "dep compare %s" % expr, atom_cmp[q]))

    # -- deps: intersects
    for case in td.get("intersects", []):
        vals, status = case["vals"], case["status"]
        qs = [(a, b, cmp_query(atom_isect, a, b)) for a, b in itertools.permutations(vals, 2)]

        def judge(vals=vals, status=status, qs=qs):
            bad = ["%s %s: %s" % (a, b, atom_isect[q]) for a, b, q in qs
                   if atom_isect[q] != ("yes" if status else "no")]
            tap.add(not bad, "dep intersects %s == %s" % (" ".join(vals), status), "\n".join(bad))
        jobs.append(judge)

    # -- deps: sorting
    for case in td.get("sorting", []):
        jobs.append(plan_sorting(tap, "dep", case["sorted"], case["equal"], True, as_deps=True))

    try:
        for b in (vercmp, atoms, atom_cmp, atom_isect):
            b.run()
    except (OSError, RuntimeError) as e:
        print("1..1")
        print("not ok 1 - homesetup batch modes answer every query")
        print("# %s" % e)
        return 1
    for job in jobs:
        job()
    return 1 if tap.emit() else 0


def plan_sorting(tap, what, items, equal, with_ops, as_deps=False):
    """Queue every ordered pair's comparison; return the judge."""
    if as_deps:
        batch, key = atom_cmp, (lambda v: v)
    elif with_ops:
        batch, key = atom_cmp, version_atom
    else:
        batch, key = vercmp, (lambda v: v)
    qs = {}
    for a, b in itertools.permutations(items, 2):
        qs[(a, b)] = cmp_query(batch, key(a), key(b))

    def judge():
        bad = [(a, b, batch[q]) for (a, b), q in qs.items() if batch[q] == "invalid"]
        if bad:
            tap.add(False, "%s sorting %s" % (what, " ".join(items)),
                    "\n".join("%s %s: invalid" % (a, b) for a, b, _ in bad))
            return

        def cmp(a, b):
            return 0 if a == b else to_int(batch[qs[(a, b)]])
        got = pkgcraft_sort(items, cmp)
        want = list(items)
        if equal:
            got = list(reversed(got))
        tap.add(got == want, "%s sorting %s%s" % (what, " ".join(items), " (all equal)" if equal else ""),
                " ".join(got))
    return judge


def judge_dep_valid(tap, case, answer):
    d = json.loads(answer)
    desc = "dep valid %r" % case["dep"]
    if not d["valid"]:
        tap.add(False, desc, "invalid: %s" % d.get("error"))
        return
    want = {k: case.get(k) for k in ("category", "package", "version", "revision", "slot", "subslot",
                                     "slot_op", "blocker", "repo")}
    want["use"] = case.get("use", [])
    op = d["operator"]
    if op == "=*":
        version = "=%s*" % d["version"]
    elif op:
        version = op + d["version"]
    else:
        version = d["version"]
    got = {k: d[k] for k in ("category", "package", "revision", "slot", "subslot", "slot_op", "blocker",
                             "repo", "use")}
    got["version"] = version
    diff = ["%s: %r (want %r)" % (k, got[k], want[k]) for k in want if got[k] != want[k]]
    if d["canonical"] != case["dep"]:
        diff.append("canonical: %r (want %r)" % (d["canonical"], case["dep"]))
    tap.add(not diff, desc, "\n".join(diff))


if __name__ == "__main__":
    sys.exit(main())
