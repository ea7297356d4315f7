"""The functional core: pure functions of values, `now` passed in, no I/O."""
