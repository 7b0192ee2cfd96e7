"""``python -m bench [name ...]`` runs every benchmark in bench/ (or the named ones)."""

import eventlet

eventlet.monkey_patch()

import importlib  # noqa: E402
import pkgutil  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import bench  # noqa: E402

warnings.filterwarnings("ignore")

SKIP = {"harness", "__main__"}


def main(names):
    modules = [m.name for m in pkgutil.iter_modules(bench.__path__) if m.name not in SKIP]
    for name in names or sorted(modules):
        module = importlib.import_module(f"bench.{name}")
        print(f"\n# bench.{name}", flush=True)
        module.main()


if __name__ == "__main__":
    main(sys.argv[1:])
