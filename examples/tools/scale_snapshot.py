#!/usr/bin/env python3
"""Write an AWS Config snapshot of any size for benchmarks: deterministic for a seed.

The snapshot is made of copies of the example estate's accounts (examples/clinic/estate: every
resource type the HIPAA pack reads, with compliant and non-compliant resources of each), each
copy a new AWS account. Within a copy, every account id and resource id is rewritten
consistently (in ARNs, relationships and references too), so each copy evaluates exactly as
its template account does: a snapshot of N copies of template T gives N times T's findings,
which is how the share of non-compliant resources is known (the benchmark script checks it).

Usage:
    scale_snapshot.py --resources 100000 --out /tmp/snap-100k.json [--seed 7]
    scale_snapshot.py --copies 3 --out /tmp/snap.json.gz
    scale_snapshot.py --copies 1 --only 111122223333 --out /tmp/prod-copy.json

Only the Config snapshots are copied; the account facts Config does not record (credential
report, password policy...) are not, so account-level rules that read them see none.
"""

import argparse
import glob
import gzip
import hashlib
import json
import os
import random
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEMPLATES = os.path.join(ROOT, "examples", "clinic", "estate")

HEX_ID = re.compile(r"^([a-z0-9]+-)([0-9a-f]{8,32})$")
IAM_ID = re.compile(r"^(A[A-Z]{3})([A-Z0-9]{12,28})$")
PLAIN_WORD = re.compile(r"^[A-Za-z]+$")
NAME_REVISION = re.compile(r"^(.*[^:]):([0-9]+)$")
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class Template:
    """One account's Config snapshot, split into literal text and the ids to rewrite."""

    def __init__(self, path, rename_named=False):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        items = doc["configurationItems"]
        self.name = os.path.relpath(path, ROOT)
        self.count = len(items)
        accounts = {i["awsAccountId"] for i in items}
        if len(accounts) != 1:
            sys.exit(f"{path}: expected one account, found {sorted(accounts)}")
        self.account = accounts.pop()
        ids = {i["resourceId"] for i in items}
        if rename_named:
            # Copies that share an account need names of their own where the name is the
            # resource's identity within the account (its ARN ends with it: IAM roles and
            # users, DB instances, CodeBuild projects...), or they would be one resource.
            ids |= {
                i["resourceName"]
                for i in items
                if i.get("resourceName") and re.search(r"[:/]" + re.escape(i["resourceName"]) + r"$", i.get("ARN") or "")
            }
        ids = sorted(ids - {self.account}, key=lambda s: (-len(s), s))
        # The items array as text, one item per line, so each copy is a text substitution.
        text = ",\n".join(json.dumps(i, separators=(",", ":"), sort_keys=True) for i in items)
        words = [i for i in ids if PLAIN_WORD.match(i)]
        tokens = [i for i in ids if not PLAIN_WORD.match(i)]
        alternatives = [re.escape(self.account)]
        if tokens:
            # A token inside a longer name (`hl7-parser` in `hl7-parser-role`) is left alone;
            # IAM policy documents are URL-encoded, so `%3A` or `%2F` may come before one.
            alternatives.append(
                r"(?:(?<![A-Za-z0-9_-])|(?<=%3A)|(?<=%2F)|(?<=%22))(?:"
                + "|".join(map(re.escape, tokens))
                + r")(?![A-Za-z0-9_-])"
            )
        if words:
            # A plain word (`Default`) only where it is a whole JSON string or an ARN's tail.
            alternatives.append(
                r'(?:(?<=["/:])|(?<=%3A)|(?<=%2F)|(?<=%22))(?:'
                + "|".join(map(re.escape, words))
                + r')(?="|%22)'
            )
        pattern = re.compile("|".join(alternatives))
        self.pieces = []  # literal text, then (token) tuples
        at = 0
        for m in pattern.finditer(text):
            self.pieces.append(text[at : m.start()])
            self.pieces.append((m.group(0),))
            at = m.end()
        self.pieces.append(text[at:])

    def render(self, copy_index, seed, account_index):
        account = new_account(seed, account_index)
        cache = {}

        def new_id(old):
            if old == self.account:
                return account
            if old not in cache:
                cache[old] = rewrite_id(old, seed, copy_index)
            return cache[old]

        return "".join(p if isinstance(p, str) else new_id(p[0]) for p in self.pieces)


def digest(*parts):
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()


def new_account(seed, copy_index):
    # 12 digits, never one of the templates' (which start with 1 or 4).
    n = int.from_bytes(digest("account", seed, copy_index)[:8], "big") % 10**11
    return "9" + f"{n:011d}"


def rewrite_id(old, seed, copy_index):
    d = digest("id", seed, copy_index, old)
    m = HEX_ID.match(old)
    if m:
        prefix, hexpart = m.groups()
        return prefix + d.hex()[: len(hexpart)]
    m = IAM_ID.match(old)
    if m:
        prefix, rest = m.groups()
        return prefix + "".join(ALNUM[b % len(ALNUM)] for b in d[: len(rest)])
    m = NAME_REVISION.match(old)
    if m:
        # An ECS task definition's `family:revision`: the family gets the copy's suffix (as
        # the family's own name does), the revision stays a number.
        name, revision = m.groups()
        return f"{name}-{copy_index:06d}:{revision}"
    return f"{old}-{copy_index:06d}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = ap.add_mutually_exclusive_group(required=True)
    size.add_argument("--resources", type=int, help="at least this many configuration items (whole accounts)")
    size.add_argument("--copies", type=int, help="this many account copies")
    ap.add_argument("--seed", type=int, default=1, help="same seed, same bytes (default 1)")
    ap.add_argument("--out", required=True, help="output file; .gz to compress")
    ap.add_argument("--templates", default=TEMPLATES, help="directory of config-snapshot.json files")
    ap.add_argument(
        "--only",
        help="copy only the templates whose path contains this text (the benchmark counts each "
        "template on one copy of it: a copy is in another account than its template, and the "
        "pack's least-privilege intents name the template account's principals)",
    )
    ap.add_argument(
        "--accounts",
        type=int,
        default=0,
        help="put the copies in this many accounts, round robin (default: each copy its own "
        "account). Fewer accounts than copies makes large accounts (--accounts 1: one account "
        "holding everything); then account-wide rules see every copy of the account together, "
        "so findings are no longer the templates' times the copies",
    )
    args = ap.parse_args()

    paths = sorted(glob.glob(os.path.join(args.templates, "**", "config-snapshot.json"), recursive=True))
    if args.only:
        paths = [p for p in paths if args.only in os.path.relpath(p, ROOT)]
    if not paths:
        sys.exit(f"no config-snapshot.json below {args.templates}" + (f" matching {args.only}" if args.only else ""))
    # Copies sharing an account (--accounts N) also get names of their own.
    templates = [Template(p, rename_named=args.accounts > 0) for p in paths]
    rng = random.Random(args.seed)
    # Which template each copy uses: a seeded choice, so the mix is known from the seed.
    plan = []
    total = 0
    while (args.copies is not None and len(plan) < args.copies) or (
        args.resources is not None and total < args.resources
    ):
        t = rng.randrange(len(templates))
        plan.append(t)
        total += templates[t].count

    opener = gzip.open if args.out.endswith(".gz") else open
    snapshot_id = digest("snapshot", args.seed, len(plan)).hex()
    with opener(args.out, "wt", encoding="utf-8") as out:
        out.write('{"fileVersion":"1.0","configSnapshotId":"%s-%s-%s-%s-%s","configurationItems":[\n'
                  % (snapshot_id[:8], snapshot_id[8:12], snapshot_id[12:16], snapshot_id[16:20], snapshot_id[20:32]))
        for k, t in enumerate(plan):
            if k:
                out.write(",\n")
            account_index = k % args.accounts if args.accounts > 0 else k
            out.write(templates[t].render(k, args.seed, account_index))
        out.write("\n]}\n")
    mix = {templates[i].name: plan.count(i) for i in range(len(templates))}
    accounts = min(args.accounts, len(plan)) if args.accounts > 0 else len(plan)
    print(json.dumps({"out": args.out, "items": total, "copies": len(plan), "accounts": accounts,
                      "seed": args.seed, "templates": mix}))


if __name__ == "__main__":
    main()
