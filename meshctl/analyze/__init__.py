"""Pure analysis: decoded views -> tables, findings, verdicts and documents (no I/O, no printing)."""
