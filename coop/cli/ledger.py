"""`coop ledger`: verify, export, checkpoint and prove the public ledger.

``verify --export FILE`` runs with no database at all, so an auditor can check an export on
their own machine; every other command reads the co-op's database.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import click

from coop.cli.base import Context, cli, coop_option, handle_errors, pass_ctx, resolve_coop
from coop.cli.table import echo_table
from coop.ledger import checkpoint as notes
from coop.ledger import export as export_file
from coop.ledger.canonical import decode
from coop.ledger.verify import VerifyResult, as_bytes
from coop.services import checkpoints, ledger_export, proofs, verification


@cli.group()
def ledger() -> None:
    """The public ledger: every pay change and decision, tamper-evident."""


def _terminal() -> bool:
    return sys.stderr.isatty()


@contextmanager
def progress(what: str) -> Iterator[Callable[[int], None] | None]:
    """A running count on stderr, only when it is a terminal (never in pipes or logs)."""
    if not _terminal():
        yield None
        return

    def show(n: int) -> None:
        click.echo(f"\r{what} {n:,} entries…", nl=False, err=True)

    try:
        yield show
    finally:
        click.echo("\r\033[K", nl=False, err=True, color=True)  # only ever on a terminal


def _report(result: VerifyResult, key_source: str | None = None) -> None:
    if result.ok:
        click.echo(result.summary() + (f" (checked with {key_source})" if key_source else ""))
        return
    # The first line names the first bad entry; what follows from it (roots and checkpoints
    # that no longer match) comes after, for the record.
    click.echo(result.summary())
    others = [p for p in result.problems if p is not result.first]
    for problem in others[:9]:
        click.echo(f"  also: {problem}")
    if result.problem_count > 10:
        click.echo(f"  … {result.problem_count - 10} more")
    sys.exit(1)


@ledger.command()
@coop_option
@click.option("--export", "export_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="verify this export file offline, without any database")
@click.option("--key", "verifier_key", metavar="VERIFIER_KEY",
              help="the co-op's published verifier key (name+id+key) to check signatures with; "
                   "default: the key the database (or the export) holds")
@click.option("--checkpoint", "saved_paths", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="a signed checkpoint you saved earlier (`coop ledger checkpoint > FILE`); "
                   "the entries must still match it. Repeatable")
@pass_ctx
@handle_errors
def verify(ctx: Context, coop_slug: str | None, export_path: Path | None, verifier_key: str | None,
           saved_paths: tuple[Path, ...]) -> None:
    """Recompute every hash from the stored rows and check them, the checkpoints and the
    signatures. Exit 1 naming the first entry that does not match."""
    saved = [(f"saved checkpoint {p.name}", p.read_text(encoding="utf-8")) for p in saved_paths]
    now = ctx.now
    if export_path is not None:
        with progress("verified") as show:
            result, _, source = export_file.verify_file(export_path, verifier_key, show, saved, now=now)
        _report(result, source)
        return
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        key = None
        if verifier_key:
            name, key = notes.parse_verifier_key(verifier_key)
            if name != coop.origin:
                raise ValueError(f"the verifier key is for {name!r}, not {coop.origin!r}")
        with progress("verified") as show:
            result = verification.verify_coop(session, coop, now=now, public_key=key, progress=show, saved=saved)
    _report(result, "the key you gave" if verifier_key else None)


@contextmanager
def _output(path: Path | None, newline: str | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline=newline) as fh:
        yield fh


@ledger.command("export")
@coop_option
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="default: stdout")
@pass_ctx
@handle_errors
def export_(ctx: Context, coop_slug: str | None, fmt: str, output: Path | None) -> None:
    """Write the ledger for auditors (json: verifiable offline) or spreadsheets (csv)."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        with _output(output, "" if fmt == "csv" else None) as out, progress("exported") as show:
            if fmt == "json":
                n = ledger_export.write_json(session, coop, out, show, now=ctx.now)
            else:
                n = ledger_export.write_csv(session, coop, out, show)
    if output is not None:
        click.echo(f"exported {n} entries of {coop.slug} to {output}", err=True)


@ledger.command("checkpoint")
@coop_option
@pass_ctx
@handle_errors
def checkpoint_(ctx: Context, coop_slug: str | None) -> None:
    """Sign a checkpoint of the ledger's size and root (nothing new if it has not moved)."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        cp = checkpoints.sign(session, ctx.keys, coop, now=ctx.now)
        click.echo(cp.note, nl=False)


@ledger.command("key")
@coop_option
@click.option("--pem", is_flag=True, help="the public key as PEM (SubjectPublicKeyInfo), for OpenSSL")
@pass_ctx
@handle_errors
def key_(ctx: Context, coop_slug: str | None, pem: bool) -> None:
    """The co-op's published checkpoint key, as a C2SP signed-note verifier key
    (name+id+key), the form `--key` and transparency-log tools take."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        if coop.public_key is None:
            raise ValueError(f"co-op '{coop.slug}' has published no checkpoint key")
        public_key = bytes(coop.public_key)
        if pem:
            click.echo(notes.public_key_pem(public_key), nl=False)
        else:
            click.echo(notes.verifier_key(coop.origin, public_key))


@ledger.command("checkpoints")
@coop_option
@pass_ctx
@handle_errors
def checkpoints_(ctx: Context, coop_slug: str | None) -> None:
    """Every signed checkpoint, oldest first."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        echo_table(("size", "root", "signed (UTC)"),
                   [(cp.size, bytes(cp.root).hex(), f"{cp.signed_at:%Y-%m-%d %H:%M:%S}")
                    for cp in checkpoints.list_checkpoints(session, coop)], empty="no checkpoints yet")


@ledger.command("show")
@click.argument("index", type=click.IntRange(min=0))
@coop_option
@pass_ctx
@handle_errors
def show(ctx: Context, index: int, coop_slug: str | None) -> None:
    """One entry: its kind, leaf hash and body."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        entry = proofs.entry(session, coop, index)
        click.echo(f"entry {entry.index} ({entry.kind}), appended {entry.appended_at:%Y-%m-%d %H:%M:%S} UTC")
        click.echo(f"leaf hash {as_bytes(entry.leaf_hash).hex()}")
        try:
            click.echo(json.dumps(decode(as_bytes(entry.body)), indent=2, ensure_ascii=False))
        except ValueError as exc:
            click.echo(f"(body is not a readable entry: {exc}; run `coop ledger verify`)")


def _print_proof(data: dict[str, object], as_json: bool, lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for line in lines:
        click.echo(line)
    path = data["path"]
    click.echo("path:" if path else "path: (empty)")
    for h in path:  # type: ignore[attr-defined]
        click.echo(f"  {h}")


@ledger.command("proof")
@click.argument("index", type=click.IntRange(min=0))
@click.option("--size", type=click.IntRange(min=0), help="ledger size to prove against (default: now)")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@coop_option
@pass_ctx
@handle_errors
def proof(ctx: Context, index: int, size: int | None, as_json: bool, coop_slug: str | None) -> None:
    """RFC 6962 inclusion proof of entry INDEX."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        p = proofs.inclusion(session, coop, index, size)
    _print_proof(p.as_json(), as_json, [
        f"entry {p.index} of a ledger of {p.size} entries",
        f"leaf hash {p.leaf_hash.hex()}", f"root      {p.root.hex()}",
    ])


@ledger.command("consistency")
@click.argument("old", type=click.IntRange(min=0))
@click.argument("new", type=click.IntRange(min=0), required=False)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@coop_option
@pass_ctx
@handle_errors
def consistency(ctx: Context, old: int, new: int | None, as_json: bool, coop_slug: str | None) -> None:
    """RFC 6962 proof that the ledger at NEW (default: now) only appended to the one at OLD."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        p = proofs.consistency(session, coop, old, new)
    _print_proof(p.as_json(), as_json, [
        f"from {p.old_size} to {p.new_size} entries",
        f"old root {p.old_root.hex()}", f"new root {p.new_root.hex()}",
    ])
