"""One module per subcommand; each defines ``command`` (a Click command) whose callback
parses options, calls the core and hands the result to ``refbook.output``, returning an
exit code."""
