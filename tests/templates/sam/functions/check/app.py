import os


def lambda_handler(event, context):
    return {**event, "allowed": event.get("amount", 0) <= int(os.environ["LIMIT"])}
