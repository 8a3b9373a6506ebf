"""schemathesis hooks for tests/contract.rs.

A real client sends a fresh Idempotency-Key with each new reservation attempt
and reuses it only to retry that same attempt; the generator, left alone,
reuses short keys across different bodies, which the server rightly refuses
with 422 idempotency_key_reused. So every generated request that carries a
valid key gets a fresh one. (Replays and reuse are tested in
tests/api/reservations.rs; invalid keys are left as generated.)
"""
import datetime
import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"[!-~]{1,255}")


@schemathesis.hook
def before_call(ctx, case, kwargs):
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.fullmatch(key):
        case.headers["Idempotency-Key"] = uuid.uuid4().hex


# A sync script sends each SKU once per bulk call; the generator, left alone,
# repeats short SKUs, which the server rightly refuses (a SKU at most once: a
# rule JSON Schema cannot state). Repeated valid SKUs become distinct ones.
VALID_SKU = re.compile(r"[A-Za-z0-9._-]{1,64}")


@schemathesis.hook("before_call")
def distinct_bulk_skus(ctx, case, kwargs):
    if case.method.upper() != "PUT" or case.path != "/api/v1/admin/products":
        return
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("products"), list):
        return
    seen = set()
    for index, item in enumerate(body["products"]):
        if not isinstance(item, dict):
            continue
        sku = item.get("sku")
        if isinstance(sku, str) and VALID_SKU.fullmatch(sku):
            while sku in seen:
                sku = f"U{index}-{len(seen)}" if sku != f"U{index}-{len(seen)}" else sku + "x"
            item["sku"] = sku
            seen.add(sku)


# Two more rules JSON Schema cannot state: a product's supplier must exist
# (the demo catalog has one, DEMO-SUPPLY), a receipt's purchase order must be
# one of the product's open orders, and a purchase order id appears once per
# product. A merchant's client names what it created; so does this hook.
VALID_SUPPLIER = re.compile(r"[A-Za-z0-9_-]{1,64}")
VALID_ORDER_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _existing_supplier_and_distinct_orders(settings):
    if not isinstance(settings, dict):
        return
    supplier = settings.get("supplier")
    if isinstance(supplier, str) and VALID_SUPPLIER.fullmatch(supplier):
        settings["supplier"] = "DEMO-SUPPLY"
    orders = settings.get("incoming")
    if not isinstance(orders, list):
        return
    seen = set()
    for index, order in enumerate(orders):
        if not isinstance(order, dict):
            continue
        order_id = order.get("id")
        if isinstance(order_id, str) and VALID_ORDER_ID.fullmatch(order_id):
            while order_id in seen:
                order_id = f"PO{index}-{len(seen)}" if order_id != f"PO{index}-{len(seen)}" else order_id + "x"
            order["id"] = order_id
            seen.add(order_id)


@schemathesis.hook("before_call")
def named_things_exist(ctx, case, kwargs):
    method, path, body = case.method.upper(), case.path, case.body
    if method == "PUT" and path == "/api/v1/admin/products/{sku}":
        _existing_supplier_and_distinct_orders(body)
    elif method == "PUT" and path == "/api/v1/admin/products":
        if isinstance(body, dict) and isinstance(body.get("products"), list):
            for item in body["products"]:
                _existing_supplier_and_distinct_orders(item)
    elif method == "POST" and path == "/api/v1/admin/products/{sku}/receipts":
        if isinstance(body, dict) and isinstance(body.get("purchase_order"), str) \
                and VALID_ORDER_ID.fullmatch(body["purchase_order"]):
            del body["purchase_order"]


# A demand history is of days that were, of products that exist, each
# product's day once (rules JSON Schema cannot state). A merchant's client
# sends its own products' past days; so does this hook: valid SKUs become a
# demo product's, valid dates distinct days before the test server's today
# (2026-03-02).
VALID_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _is_date(text):
    if not isinstance(text, str) or not VALID_DATE.fullmatch(text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


@schemathesis.hook("before_call")
def past_days_of_existing_products(ctx, case, kwargs):
    if case.method.upper() != "PUT" or case.path != "/api/v1/admin/demand":
        return
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("demand"), list):
        return
    for index, row in enumerate(body["demand"]):
        if not isinstance(row, dict):
            continue
        if isinstance(row.get("sku"), str) and VALID_SKU.fullmatch(row["sku"]):
            row["sku"] = "MUG-STONE"
        if _is_date(row.get("date")):
            row["date"] = (datetime.date(2026, 3, 1) - datetime.timedelta(days=index)).isoformat()
