"""What a Task reaches: Task resources resolved to handlers (`resources`), the one handler-call
boundary (`dispatch`), what a handler sees and answers as a Lambda function (`lambda_`), and Step
Functions Local's mock files (`mocks`). Depends only on the foundation; the runtime calls it."""
