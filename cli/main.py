"""``gongjian``: the operator's command line (tenants, tokens, databases, migrations, seeds)."""

import warnings

# nameko imports eventlet, which warns on every start; operators don't need to see it.
warnings.filterwarnings("ignore", message="\\s*Eventlet is deprecated")

import click  # noqa: E402

from cli import audit, database, events, imports_registry, people, seed, tenants, tokens  # noqa: E402


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="GONGJIAN_CONFIG", default=None,
              help="config.yaml to use (default deploy/config.yaml)")
@click.pass_context
def main(ctx, config_path):
    from shared.config import load_config

    ctx.obj = {"config": load_config(config_path)}


main.add_command(tenants.group)
main.add_command(tokens.token)
main.add_command(tokens.clients)
main.add_command(database.keys)
main.add_command(database.db)
main.add_command(database.migrate)
main.add_command(seed.seed)
main.add_command(people.people)
main.add_command(events.events)
main.add_command(events.health)
main.add_command(audit.audit)
imports_registry.register(main)
