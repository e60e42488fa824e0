"""Files a user was sent, read by the commands other than inject/template: one line, exit 65, in seconds.

(`inject` and `template` YAML, alias bombs included, are tests/hostile/test_yaml_input.py's.)
"""

from __future__ import annotations

import pytest

from helpers.hostile import one_error_line, run_limited

# the CVE-2019-11253 shape: nine levels of nine aliases (10^9 strings when expanded)
ALIAS_BOMB = "a: &a [" + ",".join(['"x"'] * 9) + "]\n" + "".join(
    f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, n in zip("abcdefgh", "bcdefghi")
) + "kind: MutatingWebhookConfiguration\nwebhooks: *i\n"

CASES = {
    "webhooks-not-utf8": (["webhooks", "-f"], b"kind: \xc3\x28 MutatingWebhookConfiguration\n", "not YAML/JSON"),
    # read as kubectl reads it: go-yaml's alias limit refuses the bomb before anything expands
    "webhooks-alias-bomb": (["webhooks", "-f"], ALIAS_BOMB.encode(), "excessive aliasing"),
    "webhooks-webhooks-not-a-list": (["webhooks", "-f"], b"kind: MutatingWebhookConfiguration\nwebhooks: {a: 1}\n", "wrong type"),
    "dump-not-utf8": (["pc", "cluster", "-f"], b'{"configs": ["\xff\xfe"]}', "not valid JSON"),
    "dump-escape-in-error": (["pc", "cluster", "-f"], b'\x1b]0;pwned\x07{"configs": 1}', ""),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_files_are_one_line_exit_65(tmp_path, case):
    args, content, words = CASES[case]
    path = tmp_path / "input"
    path.write_bytes(content)
    run = run_limited(*args, str(path), timeout=60)
    assert run.exit_code == 65, run.stderr
    line = one_error_line(run)
    assert words in line and "\x1b" not in line and "\x07" not in line
