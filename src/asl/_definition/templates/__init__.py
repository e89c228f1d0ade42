"""Where users keep their machines: CloudFormation and SAM templates (JSON or YAML, `cdk.out`
synth output included), `serverless.yml` and Terraform. One module per kind reads its template
into `TemplateMachine`s (a definition Source located in the template, the template's own
problems with it) and the local functions the template declares (`FunctionSpec`)."""
