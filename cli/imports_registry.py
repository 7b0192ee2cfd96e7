"""``gongjian import …``: bulk imports contributed by services (each adds its subcommand here)."""

import click

from cli import import_nodes

IMPORTERS = [import_nodes.nodes, import_nodes.units]


@click.group("import")
def import_group():
    """Bulk-import data into a tenant (validated first, all-or-nothing, resumable)."""


def register(main):
    for command in IMPORTERS:
        import_group.add_command(command)
    if IMPORTERS:
        main.add_command(import_group)
