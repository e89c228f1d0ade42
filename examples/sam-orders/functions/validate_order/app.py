"""Checks that an order has an id and between one and MAX_ITEMS items."""

import os


def lambda_handler(event, context):
    items = event.get("items", [])
    limit = int(os.environ["MAX_ITEMS"])
    if not event.get("id"):
        return {**event, "valid": False, "reason": "the order has no id"}
    if not 1 <= len(items) <= limit:
        return {**event, "valid": False, "reason": f"an order holds 1 to {limit} items, not {len(items)}"}
    return {**event, "valid": True}
