"""Developer and operations tools: finding interpreters, supervising the stack, reports."""
