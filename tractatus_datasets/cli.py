"""`tractatus-datasets`: the command line. Thin: parse into typed options, call one function.

Exit codes: 0 ok; 1 problems in the data (all listed); 2 usage or environment error (one line
saying what to change). Tracebacks only with `--debug`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tractatus_boundary_simulator import app as simulator
from tractatus_dashboard import app as dashboard  # the Spaces' own app.py files; gradio loads on launch
from tractatus_datasets import __version__
from tractatus_datasets.anonymise import Granularity
from tractatus_datasets.card import load_lines
from tractatus_datasets.commands import export_summary, publish_command, scan_command, validate_command
from tractatus_datasets.errors import ProblemsFound, UsageError, out_of_space
from tractatus_datasets.keys import ENV_VAR, ExportKey, load_key
from tractatus_datasets.parquet import DEFAULT_MAX_SHARD_ROWS
from tractatus_datasets.pipeline import BadRecordPolicy
from tractatus_datasets.plugins import DatasetPlugin, ExportOptions, demo_order, load_plugins
from tractatus_datasets.release import staged_release
from tractatus_presence import commands as presence
from tractatus_simulator import Action, Context, Instruction, Reasoning, at_level, simulate
from tractatus_simulator.inputs import InputError, parse_metrics, parse_parameters, render
from tractatus_simulator.model import LEVELS
from tractatus_spaces import release as spaces
from tractatus_viewer import app as viewer

__all__ = [
    "add_key_arguments",
    "add_record_arguments",
    "key_from",
    "main",
    "non_negative_seconds",
    "positive",
]


# The Spaces a command serves locally: how each opens what the arguments name, and serves it.
SPACES: dict[str, tuple[Callable[[argparse.Namespace], Any], Callable[[Any, str, int | None], None]]] = {
    "view": (viewer.open_release, viewer.launch),
    "dashboard": (dashboard.open_dashboard, dashboard.launch),
    "simulator": (simulator.open_simulator, simulator.launch),
}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-10-25") from None


def non_negative_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds of at least 0")
    return value


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _add_common_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, help="release folder to create (must not exist)")
    parser.add_argument("--version", required=True, help="release version X.Y.Z (tagged vX.Y.Z on the Hub)")
    parser.add_argument("--max-shard-rows", type=positive, default=DEFAULT_MAX_SHARD_ROWS, metavar="N")
    parser.add_argument("--release-date", type=_date, help="default: the date of the latest exported record")


def add_key_arguments(parser: argparse.ArgumentParser) -> None:
    """`--key-file` and `--demo-key`, for datasets with pseudonyms; read them with `key_from`."""
    parser.add_argument("--key-file", type=Path, help=f"file holding the pseudonym key (else ${ENV_VAR})")
    parser.add_argument(
        "--demo-key", action="store_true", help="use the public demo key (synthetic samples only)"
    )


def key_from(args: argparse.Namespace) -> ExportKey:
    return load_key(args.key_file, args.demo_key)


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    """`--time-granularity` and `--on-bad-record`, for datasets exported from records."""
    parser.add_argument(
        "--time-granularity", type=Granularity, choices=list(Granularity), default=Granularity.MINUTE
    )
    parser.add_argument(
        "--on-bad-record",
        type=BadRecordPolicy,
        choices=list(BadRecordPolicy),
        default=BadRecordPolicy.QUARANTINE,
        help="quarantine bad records (default) or stop at the first",
    )


def _parser(plugins: dict[str, DatasetPlugin]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tractatus-datasets",
        description="Publish the Tractatus framework's records as citable, privacy-safe Hugging Face datasets.",
        epilog="Exit codes: 0 done; 1 problems in the data (all listed); 2 usage or environment error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="sample source → every release → load check → how to load them")
    demo.add_argument(
        "--out", type=Path, default=Path("build"), help="working folder to create (default: build)"
    )

    sample = commands.add_parser(
        "sample", help="write a realistic synthetic audit source (mongoexport + legacy)"
    )
    sample.add_argument("--out", type=Path, required=True)
    sample.add_argument("--records", type=positive, default=3_500)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument(
        "--no-credentials",
        dest="credentials",
        action="store_false",
        help="generate no credential-shaped text (for a sample committed to git)",
    )

    scan = commands.add_parser(
        "scan", help="run the leak gate on a folder: a release or a downloaded revision"
    )
    scan.add_argument("path", type=Path, help="folder to scan")
    scan.add_argument(
        "--identifiers",
        type=Path,
        metavar="FILE",
        help="raw identifiers (session ids, user ids, IPs…) to search for, one per line",
    )

    validate = commands.add_parser(
        "validate",
        help="check a release: manifest, shard hashes and schemas, card configs, leak gate, load_dataset",
    )
    validate.add_argument("path", type=Path, help="release folder (or a downloaded revision)")

    publish = commands.add_parser(
        "publish", help="validate a release, then upload it to the Hub in one commit tagged vX.Y.Z"
    )
    publish.add_argument("path", type=Path, help="release folder")
    publish.add_argument("--repo", required=True, metavar="ORG/NAME", help="dataset repository on the Hub")
    publish.add_argument("--tag", help="revision tag (default and only choice: v<version of the release>)")
    publish.add_argument("--dry-run", action="store_true", help="print the operations; send nothing")
    publish.add_argument(
        "--to-git",
        type=Path,
        metavar="DIR",
        help="instead of the Hub, commit and tag into the git repository DIR/datasets/ORG/NAME "
        "(the layout a self-hosted Hub mirror such as olah serves)",
    )

    presence.add_commands(commands)

    view = commands.add_parser(
        "view", help="browse an audit release in a local web app (the Audit Log Viewer Space)"
    )
    viewer.SOURCES.add_arguments(view, default_data=Path("build") / "audit-decisions")

    metrics = commands.add_parser(
        "dashboard",
        help="the Governance Metrics Dashboard over an audit release and the Evolution Log, in a local web app",
    )
    dashboard.SOURCES.add_arguments(metrics, default_data=Path("build") / "audit-decisions")

    simulated = commands.add_parser(
        "simulate",
        help="how the framework's services decide on one action, step by step (the simulator's library)",
    )
    _add_simulate_arguments(simulated)
    space = commands.add_parser(
        "simulator",
        help="the Boundary Decision Simulator in a local web app, with evidence from an audit release",
    )
    simulator.SOURCES.add_arguments(space, default_data=Path("build") / "audit-decisions")

    export = commands.add_parser("export", help="export a source into a release folder")
    datasets = export.add_subparsers(dest="dataset", required=True, metavar="DATASET")
    for name, plugin in plugins.items():
        sub = datasets.add_parser(name, help=f"{plugin.spec.pretty_name} ({plugin.spec.repo_id})")
        _add_common_export_arguments(sub)
        plugin.add_export_arguments(sub)
    return parser


def _add_simulate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", metavar="ACTION", help='the simulated action\'s text, e.g. "Edit values.html"'
    )
    pressure = parser.add_mutually_exclusive_group()
    pressure.add_argument(
        "--pressure",
        choices=list(LEVELS),
        type=str.upper,
        help="a context pressure level, given as metrics that compute it (default: NORMAL)",
    )
    pressure.add_argument(
        "--metrics",
        metavar="tokens=…,messages=…,tasks=…,errors=…,instructions=…",
        help="the five metrics ContextPressureMonitor reads instead (tokens up to 2.0 is a share of the budget)",
    )
    parser.add_argument(
        "--instruction",
        action="append",
        default=[],
        metavar="TEXT",
        help="an instruction the user gave (repeatable)",
    )
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an action parameter, e.g. port=27017",
    )
    parser.add_argument("--type", help="the action's type (email and message make it a communication)")
    parser.add_argument("--domain", help="the action's domain, e.g. values or technical")
    parser.add_argument(
        "--step", action="append", default=[], metavar="TEXT", help="a reasoning step (repeatable)"
    )
    parser.add_argument("--json", action="store_true", help="print the steps as JSON")


def _simulate(args: argparse.Namespace) -> str:
    try:
        parameters = parse_parameters(args.parameter)
        instructions = tuple(Instruction(text) for text in args.instruction)
        if args.metrics is not None:
            context = Context(metrics=parse_metrics(args.metrics), instructions=instructions)
        else:
            context = at_level(args.pressure or "NORMAL", instructions=instructions)
    except InputError as error:
        raise UsageError(str(error)) from None
    action = Action(args.action, type=args.type, domain=args.domain, parameters=parameters)
    reasoning = Reasoning(steps=tuple(args.step) or None)
    simulation = simulate(action, reasoning, context)
    if not args.json:
        return render(simulation)
    whole = simulation.to_dict()
    keys = ("service", "result", "boundary", "section", "domain", "reason")
    steps = [
        {**{key: step[key] for key in keys}, **{k: v for k, v in step.items() if k not in keys}}
        for step in whole["steps"]
    ]
    return json.dumps({**whole, "steps": steps}, indent=2, ensure_ascii=False, default=str)


def _run(args: argparse.Namespace, plugins: dict[str, DatasetPlugin]) -> None:
    if args.command == "sample":
        samplers = [plugin for plugin in plugins.values() if hasattr(plugin, "write_sample")]
        if not samplers:
            raise UsageError("no installed dataset offers a sample source")
        written = samplers[0].write_sample(args.out, args.records, args.seed, args.credentials)
        print(f"sample source written to {args.out}: " + ", ".join(f"{v} {k}" for k, v in written.items()))
    elif args.command == "export":
        plugin = plugins[args.dataset]
        options = ExportOptions(
            source=args.source,
            out=args.out,
            version=args.version,
            max_shard_rows=args.max_shard_rows,
            release_date=args.release_date,
        )
        print(export_summary(plugin.export(options, args), args.out, plugin))
    elif args.command == "scan":
        print(scan_command(args.path, args.identifiers, plugins))
    elif args.command == "validate":
        print(validate_command(args.path, plugins))
    elif args.command == "publish":
        print(publish_command(args, plugins))
    elif args.command == "publish-space":
        print(presence.publish_space_command(args))
    elif args.command == "publish-presence":
        print(presence.publish_presence_command(args, plugins))
    elif args.command == "download":
        print(presence.download_command(args))
    elif args.command == "demo":
        if args.out.exists():
            raise UsageError(f"{args.out} already exists; remove it or pass --out NEW_FOLDER")
        releases: dict[str, Path] = {}
        built = []
        with staged_release(args.out) as staging:  # the demo folder appears whole, or not at all
            for name in demo_order(plugins):
                out, manifest = plugins[name].build_demo(staging.folder, dict(releases))
                releases[name] = out
                built.append((plugins[name], args.out / out.relative_to(staging.folder), manifest))
        for plugin, out, manifest in built:
            print(export_summary(manifest, out, plugin))
        print("Every config of every release opened with datasets.load_dataset. Published, they load as:")
        for plugin, _, manifest in built:
            print("\n".join(f"    {line}" for line in load_lines(plugin.spec, manifest.version)))
        for plugin, out, _ in built:
            if plugin.spec.repo_id == viewer.DEFAULT_DATASET:  # the corpus the viewer browses
                print(f"Browse the audit decisions: tractatus-datasets view --data {out}")
                print(f"See the metrics dashboard: tractatus-datasets dashboard --data {out}")
                print(f"Try the boundary simulator: tractatus-datasets simulator --data {out}")
    elif args.command == "simulate":
        print(_simulate(args))
    elif args.command in SPACES:
        opener, launcher = SPACES[args.command]
        try:
            opened = opener(args)
        except spaces.ReleaseError as error:
            raise UsageError(str(error)) from None
        launcher(opened, args.host, args.port)


def _environment_error(error: BaseException, args: argparse.Namespace) -> str | None:
    """One line for an error of the machine rather than of the data; None for a bug."""
    full = out_of_space(error)
    if full is not None:
        out = getattr(args, "out", None)
        where = full.filename or (f"under {out}" if out else "on the disk")
        return (
            f"no space left to write {where} ({full.strerror or 'disk full'}): free some space on that disk, "
            "or choose an --out on another one"
        )
    if isinstance(error, OSError):
        where = f" {error.filename}" if error.filename else ""
        return f"cannot access{where}: {error.strerror or error}; check the path and this user's permissions"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    plugins = load_plugins()
    args = _parser(plugins).parse_args(argv)
    try:
        _run(args, plugins)
    except (UsageError, ProblemsFound) as error:
        if args.debug:
            raise
        message = error.report() if isinstance(error, ProblemsFound) else str(error)
        print(f"error: {message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted; no release was written", file=sys.stderr)
        return 130
    except Exception as error:
        line = _environment_error(error, args)
        if line is None or args.debug:
            raise
        print(f"error: {line}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
