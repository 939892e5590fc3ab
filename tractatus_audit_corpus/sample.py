"""`tractatus-datasets sample`: a deterministic, realistic synthetic *source* (facts §1 and §3).

It writes what an operator would have: `auditLogs.json` (a `mongoexport` dump, relaxed Extended
JSON, one document a line) and `legacy/decisions-YYYY-MM-DD.jsonl` (UTC dates), in four eras:

| era | share | shape |
|---|---|---|
| Phase 5 filesystem (2025-10-08 → 10) | 3% | legacy JSONL lines, string violations, some minimal lines |
| migrated by `migrate-to-mongodb.js` | 0.5% | AuditLog with subdocument violations whose `rulText` was lost |
| MemoryProxy v3 (2025-10-11 → 23) | 4% | AuditLog with the 77ada42 quirks: default `service`, no violations |
| after the audit-logging fix (2025-10-24 → 25) | rest | AuditLog with `service`, subdocument violations with `rulText` (10% still plain strings), user ids, IPs, user agents |
| AuditLogger pattern | 1% | `audit_id`, `service`, `decision` |

After the fix, BoundaryEnforcer and ContextPressureMonitor rows come in exact pairs and the other
services share 1.57% (IPC 0.63, CRV 0.47, MV 0.39, PDO 0.08), as in the 2025-10-25 snapshot.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

from bson import json_util
from bson.json_util import RELAXED_JSON_OPTIONS

from tractatus_audit_corpus import sample_eras as eras
from tractatus_audit_corpus.sample_people import people
from tractatus_datasets.errors import UsageError

__all__ = ["DEFAULT_RECORDS", "write_sample"]

DEFAULT_RECORDS = 3_500


def write_sample(
    out: Path, records: int = DEFAULT_RECORDS, seed: int = 0, credentials: bool = True
) -> dict[str, int]:
    """Write the sample source into `out` (which must not exist); return what was written.

    With `credentials=False` no credential-shaped text is generated, so the sample can be committed
    to a repository without tripping secret scanners.
    """
    if records < 10:
        raise UsageError("--records must be at least 10, so that every source shape appears")
    if out.exists():
        raise UsageError(f"{out} already exists; the sample is never written over existing files")
    rng = random.Random(seed)
    persons = people(rng, credentials=credentials)
    n_legacy, n_pattern = max(1, round(records * 0.03)), max(1, round(records * 0.01))
    n_migrated, n_v3 = max(1, round(records * 0.005)), max(1, round(records * 0.04))
    legacy = eras.legacy_era(rng, n_legacy, persons)
    v3 = eras.v3_era(rng, n_v3, persons)  # drawn before the migrated documents: keeps samples stable
    dump = (
        eras.migrated(rng, legacy, n_migrated)
        + v3
        + eras.pattern_entries(rng, n_pattern, persons)
        + eras.fixed_era(rng, records - n_legacy - n_pattern - n_migrated - n_v3, persons)
    )
    dump.sort(key=lambda d: (d.get("createdAt") or d["_id"].generation_time, str(d["_id"])))
    (out / "legacy").mkdir(parents=True)
    with (out / "auditLogs.json").open("w", encoding="utf-8") as stream:
        for doc in dump:
            stream.write(json_util.dumps(doc, json_options=RELAXED_JSON_OPTIONS) + "\n")
    by_day: dict[str, list[str]] = defaultdict(list)
    for line in sorted(legacy, key=lambda d: d["timestamp"]):
        by_day[line["timestamp"][:10]].append(json.dumps(line, ensure_ascii=False))
    for day, day_lines in sorted(by_day.items()):
        (out / "legacy" / f"decisions-{day}.jsonl").write_text("\n".join(day_lines) + "\n", encoding="utf-8")
    return {"auditLogs.json documents": len(dump), "legacy lines": len(legacy), "legacy files": len(by_day)}
