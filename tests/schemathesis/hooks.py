"""schemathesis hooks for tests/contract.rs.

A real client sends a fresh Idempotency-Key with each new reservation attempt
and reuses it only to retry that same attempt; the generator, left alone,
reuses short keys across different bodies, which the server rightly refuses
with 422 idempotency_key_reused. So every generated request that carries a
valid key gets a fresh one. (Replays and reuse are tested in
tests/api/reservations.rs; invalid keys are left as generated.)
"""
import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"[!-~]{1,255}")


@schemathesis.hook
def before_call(ctx, case, kwargs):
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.fullmatch(key):
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
