"""The command line: each command parses its options, calls the pipeline and turns the
result into output and an exit code (sfmon/cli/app.py lists them). Nothing else prints or exits."""
