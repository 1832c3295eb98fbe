//! Nothing here: the demo is the `chat` example (`examples/chat/`).
