"""A definition from text to model: the source reader (`source`), the structural pass
(`schema`), the semantic rules (`rules*`), `validate`, and the immutable model with every field
compiled (`model`). Below the runtime; above the languages, whose compilers it calls."""
