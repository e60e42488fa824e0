"""`meshctl check -o junit`: the report as JUnit XML, for CI systems that show test results."""

from __future__ import annotations

from meshctl.analyze.check import CHECKS, FAIL_ON, UNKNOWN, Check, Report


def junit_text(report: Report, checks: list[Check] = CHECKS) -> str:
    """JUnit XML: a <testsuite> per pod, a <testcase> per check. Statuses at or above --fail-on are
    <failure>s; checks that could not run (admin API unreachable, interrupted) or whose facts
    were not read (UNKNOWN) are <skipped/>."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="meshctl check")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for pod in report.pods:
        suite = ET.SubElement(root, "testsuite", name=pod.name)
        done = {r.check: r for r in pod.results}
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        names = [check.name for check in checks]
        # A ztunnel, ambient pod or waypoint (meshctl.analyze.ambient_check) has its own checks.
        own = [r.check for r in pod.results if r.check not in names and r.check != "-"]
        for name in own or names:
            case = ET.SubElement(suite, "testcase", classname=f"meshctl.check.{pod.name}", name=name)
            counts["tests"] += 1
            result = done.get(name)
            if result is None:
                reason = pod.not_checked or "not run: the Envoy admin API was not reachable"
                ET.SubElement(case, "skipped", message=reason)
                counts["skipped"] += 1
            elif result.status == UNKNOWN:
                ET.SubElement(case, "skipped", message=result.detail)
                counts["skipped"] += 1
            elif result.status in FAIL_ON[report.fail_on]:
                ET.SubElement(case, "failure", message=result.detail, type=result.status).text = result.detail
                counts["failures"] += 1
            elif result.detail:
                ET.SubElement(case, "system-out").text = f"{result.status}: {result.detail}"
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")  # JUnit's "errors" are crashes of the test itself; a rule crash is a failure row
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
