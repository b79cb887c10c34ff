"""Runs scim2-tester (a SCIM conformance checker, PyPI) against a running omni-server.

Usage: conformance.py BASE_URL TOKEN

The checker fills every attribute the server's /Schemas publish with random values. Where the
product has rules of its own the random value could never meet, the value is drawn from what
the rule accepts instead (nothing else is changed in the checker):
  - userName is the person's email: a random email;
  - phoneNumbers.value is E.164: a random Brazilian mobile number;
  - the product's extension: role user or collaborator (never administrator, which
    provisioning can never grant), licensed false (seats are the product's to count), budget a
    random amount in US dollars.

Every check must succeed, except those listed in ALLOWED (what ServiceProviderConfig declares
unsupported, see docs/scim.md). Exits 1 otherwise, printing the failures.
"""

import random
import sys
import uuid

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server
import scim2_tester.filling as filling
import scim2_tester.checkers.patch_add as patch_add
import scim2_tester.checkers.patch_replace as patch_replace
import scim2_tester.checkers.patch_remove as patch_remove

EXTENSION = "urn:poweromni:params:scim:schemas:extension:admin:2.0:User"

# Checks whose failure is a feature ServiceProviderConfig declares unsupported (none today:
# bulk, sort, changePassword and /.search are declared or answered as unsupported, and the
# checker skips them).
ALLOWED = set()

_random_value = filling.generate_random_value


def product_value(context, path, mutability=None, required=None):
    value = _random_value(context, path, mutability=mutability, required=required)
    if value is None:
        return None
    text = str(path).lower()
    one = lambda v: [v] if isinstance(value, list) else v  # noqa: E731
    if text.endswith("username"):
        return f"{uuid.uuid4().hex[:12]}@{uuid.uuid4().hex[:8]}.example.com"
    binding = path.resolve()
    model = getattr(binding, "target_model", None) if binding else None
    field = getattr(binding, "target_field_name", None) if binding else None
    is_phone = text.endswith("phonenumbers.value") or (
        field == "value" and model is not None and "phone" in model.__name__.lower()
    )
    if is_phone:
        return one("+55119" + "".join(random.choice("0123456789") for _ in range(8)))
    if text.endswith(":role") or text.endswith(".role"):
        return random.choice(["user", "collaborator"])
    if text.endswith(":licensed") or text.endswith(".licensed"):
        return False
    if text.endswith(":budget") or text.endswith(".budget"):
        return f"{random.randint(1, 999)}.{random.randint(0, 99):02d}"
    return value


for module in (filling, patch_add, patch_replace, patch_remove):
    if hasattr(module, "generate_random_value"):
        module.generate_random_value = product_value


def main() -> int:
    base, token = sys.argv[1], sys.argv[2]
    http = httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = SyncSCIMClient(http)
    results = check_server(client)
    failed = []
    counts = {}
    for r in results:
        counts[r.status.name] = counts.get(r.status.name, 0) + 1
        if r.status in (Status.ERROR, Status.CRITICAL) and r.title not in ALLOWED:
            failed.append(r)
        mark = "ok  " if r.status not in (Status.ERROR, Status.CRITICAL) else "FAIL"
        line = f"{mark} {r.status.name:<10} {r.resource_type or '-':<6} {r.title}: {r.reason or ''}"
        print(line if mark == "FAIL" else line[:300])
    print("scim2-tester:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if failed:
        print(f"{len(failed)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
