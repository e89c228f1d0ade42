def resize(event, context):
    return {**event, "resized": True}


def notify(event, context):
    return {"notified": event["key"]}
