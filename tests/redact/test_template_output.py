"""`template render` writes bytes as Go does (invalid UTF-8 included) and through the one redaction step.

A template can print a key its values hold (or one `genPrivateKey` makes); its output is data like any
other, so keys are replaced whether the output is UTF-8 or not, on stdout (a real pipe: the binary
path) and in `-o FILE`.
"""

from __future__ import annotations

import subprocess
import sys

from helpers import ROOT, call_meshctl
from helpers.keys import key_forms

KEY = next(form.data.decode() for form in key_forms() if form.name == "p256-pkcs8-pem")
SECRET = KEY.splitlines()[2]  # a line of the key's body


def _template(tmp_path, text: str) -> str:
    path = tmp_path / "t.tmpl"
    path.write_text(text)
    return str(path)


def test_a_key_in_non_utf8_output_is_replaced_and_the_bytes_kept(tmp_path):
    # "\xff" in a Go string literal is one byte, not a character: the output is not UTF-8
    template = _template(tmp_path, '{{ "\\xff" }}\n' + KEY + '{{ "\\xfe" }}\n')
    # a real process: stdout is a binary pipe, read as bytes
    raw = subprocess.run([sys.executable, "-m", "meshctl", "template", "render", template],
                         capture_output=True, check=True, cwd=ROOT).stdout  # fmt: skip
    assert raw.startswith(b"\xff\n") and raw.endswith(b"\xfe\n")
    assert SECRET.encode() not in raw and b"[redacted]" in raw


def test_a_key_is_replaced_in_utf8_output_and_in_an_output_file(tmp_path):
    template = _template(tmp_path, "before\n" + KEY + "after\n")
    run = call_meshctl("template", "render", template)
    assert run.exit_code == 0 and SECRET not in run.stdout and "[redacted]" in run.stdout
    assert run.stdout.startswith("before\n") and run.stdout.endswith("after\n")
    written = tmp_path / "out.yaml"
    template = _template(tmp_path, '{{ "\\xff" }}' + KEY)
    run = call_meshctl("template", "render", template, "-o", str(written))
    assert run.exit_code == 0, run.stderr
    assert written.read_bytes().startswith(b"\xff") and SECRET.encode() not in written.read_bytes()
    # an in-process run's text stream shows the byte as U+FFFD (the binary stream gets the byte)
    run = call_meshctl("template", "render", template)
    assert run.stdout.startswith("\ufffd") and SECRET not in run.stdout
