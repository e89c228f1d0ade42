"""The local Lambda service: functions with Lambda's configuration, versions and aliases,
execution environments (in-process or isolated under AWS's runtime interface client),
concurrency and throttling, asynchronous invocation, logs and metrics."""
