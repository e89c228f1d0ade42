"""Running executions: the core interface every state handler is written against (`core`),
the history (`history`), Task states (`tasks`), Parallel and inline Map (`fanout`), distributed
Map (`itemio`), and the executor's loop that dispatches to them (`executor`)."""
