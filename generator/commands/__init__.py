"""The ``reading-list`` commands: one module per command family, listed in the explicit
table :data:`generator.commands.cli.COMMANDS` (argument parsing, messages, exit codes, the
clock and the environment). They may import everything else; nothing imports them.
"""
