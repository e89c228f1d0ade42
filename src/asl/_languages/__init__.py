"""The languages a definition's fields are written in, each compiled once at load into an
evaluator the runtime calls: JSONPath (`paths`, with Jayway's quirks in `jayway`), payload
templates (`payload`), intrinsic functions (`intrinsics`, `intrinsic_functions`), Choice rules
(`choice`) and JSONata (`jsonata`). They depend only on the foundation (`asl._errors`,
`asl._json`, `asl._clock`)."""
