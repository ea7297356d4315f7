"""The shell's ports made real: calendar sources and sinks, state, the lock."""
