"""Lambda: the executor and its warm worker processes, code cache, logs, asynchronous
invocation and its failure routing, destinations, and the event payloads services send."""
