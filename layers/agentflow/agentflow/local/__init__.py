"""The local stack (never deployed): moto server, in-process Lambda runtime, HTTP gateway."""
