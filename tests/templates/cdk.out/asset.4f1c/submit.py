def handler(event, context):
    return {"guid": "job-1", "waitSeconds": 1}
