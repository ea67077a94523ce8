#!/usr/bin/env python3
"""Replaces the rules table of policies/hipaa/README.md with `ward rules --format markdown`.

    python3 examples/tools/update_pack_readme.py [WARD]

WARD is the ward binary (default: `cargo run -q -p ward-cli --`). The table sits between the
`<!-- BEGIN ward rules --format markdown -->` and `<!-- END ... -->` lines;
crates/ward-cli/tests/policy_pack.rs fails when it is stale.
"""
import subprocess, sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / 'policies/hipaa/README.md'
BEGIN = '<!-- BEGIN ward rules --format markdown -->\n'
END = '<!-- END ward rules --format markdown -->'

ward = sys.argv[1:] or ['cargo', 'run', '-q', '-p', 'ward-cli', '--']
table = subprocess.run(ward + ['rules', '--format', 'markdown'], cwd=REPO, check=True,
                       capture_output=True, text=True).stdout
text = README.read_text()
head, rest = text.split(BEGIN, 1)
_, tail = rest.split(END, 1)
README.write_text(head + BEGIN + table + END + tail)
print('updated', README)
