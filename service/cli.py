"""Command line: narrawatch init | ingest | search | drain | serve | keys, and train/evaluate/collect."""
from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from service.config import Settings
from service.store.query import QuerySyntaxError
from service.store.base import Page, PostQuery, StoreUnavailable

app = typer.Typer(help="Narrative and hoax monitoring: collect, classify, store, alert, serve.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console()
err = Console(stderr=True)

ConfigOpt = typer.Option(None, "--config", "-c", help="YAML with campaigns: and sources: (env NW_CONFIG_FILE)")


def settings_for(config: Optional[Path]) -> Settings:
    return Settings(config_file=config) if config else Settings()


def context(config: Optional[Path], background_init: bool = True):
    from service.context import AppContext

    return AppContext.build(settings_for(config), background_init=background_init)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not verbose:  # the ES client logs a full traceback per retried request: our one-line warnings say enough
        logging.getLogger("elastic_transport").setLevel(logging.ERROR)


@app.command()
def init(config: Optional[Path] = ConfigOpt) -> None:
    """Create the store (tables or index template), load campaigns from the config file, and load the shipped seed
    database of debunked claims into the claim store (re-running updates the seed claims, keeps manual ones)."""
    from classifiers.claims import load_seed
    from service.classify import claim_store

    settings = settings_for(config)
    seed = load_seed()
    loaded = claim_store(settings).put(seed["claims"])
    ctx = context(config)
    console.print(f"store [bold]{ctx.settings.store}[/] ready; campaigns: "
                  f"{', '.join(c.id for c in ctx.store.list_campaigns()) or '(none)'}; "
                  f"debunked claims: {loaded} seeded ({', '.join(seed['meta']['sources'])})")


@app.command()
def ingest(files: list[Path] = typer.Argument(..., exists=True, dir_okay=False,
                                              help="JSONL/NDJSON/JSON/CSV/TSV files"),
           campaign: Optional[str] = typer.Option(None, help="Tag every imported post with this campaign id"),
           fmt: str = typer.Option("auto", "--format", help="auto (detect from the header / first record), generic, "
                                   "or a preset: tweet-harvest, x-scraper, x-api-v2, crowdtangle, "
                                   "crowdtangle-instagram, meta-content-library, brandwatch, meltwater, talkwalker, "
                                   "tiktok-apify, tiktok-research, instagram-apify"),
           config: Optional[Path] = ConfigOpt) -> None:
    """Import posts (our JSONL, snscrape JSONL, CSV, or an export preset) through the pipeline. Bad rows go to
    quarantine."""
    from service.ingest import FORMATS, import_file
    from core.quarantine import Quarantine

    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format")
    ctx = context(config, background_init=False)  # a store down at start does not fail here: batches spool
    totals = {"received": 0, "stored": 0, "spooled": 0, "quarantined": 0}
    store_rejects, causes = 0, []
    for path in files:
        quarantine = Quarantine(ctx.settings.quarantine_dir / f"{path.stem}.jsonl")
        # the reason quotes user data: printed as plain text (never as rich markup) on one unwrapped line
        posts = import_file(path, quarantine, report=lambda msg: err.print(f"[yellow]skipped[/] {escape(msg)}",
                                                                           soft_wrap=True),
                            fmt=fmt, announce=lambda msg: err.print(escape(msg), soft_wrap=True))
        if campaign:
            posts = (p.model_copy(update={"campaigns": sorted({*p.campaigns, campaign})}) for p in posts)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task(path.name, total=sum(1 for _ in open(path, "rb")))
            stats = ctx.pipeline.process(posts, progress=lambda n: bar.advance(task, n))
        totals["received"] += stats.received
        totals["stored"] += stats.stored + stats.replayed
        totals["spooled"] += stats.spooled
        totals["quarantined"] += quarantine.count + stats.quarantined
        store_rejects += stats.quarantined
        causes += stats.errors
        if quarantine.count:
            err.print(f"{quarantine.count} bad records from {path} kept in {quarantine.path}")
    console.print(" ".join(f"{k}={v}" for k, v in totals.items()))
    if store_rejects:
        err.print(f"{store_rejects} posts rejected by the store kept in {ctx.pipeline.quarantine.path}")
    if totals["spooled"]:
        err.print(f"[red]store unavailable:[/] {totals['spooled']} posts spooled in {ctx.settings.spool_dir}; "
                  "they are replayed by the next ingest, the worker, or `narrawatch drain`")
        err.print(f"  cause: {causes[-1]}")
        raise typer.Exit(code=75)  # EX_TEMPFAIL: nothing lost, try again later


@app.command()
def drain(config: Optional[Path] = ConfigOpt) -> None:
    """Replay spooled batches into the store (after an outage)."""
    from service.pipeline import PipelineStats

    ctx = context(config, background_init=False)
    stats = PipelineStats()
    try:
        stats.replayed = ctx.pipeline.drain(stats)
    except StoreUnavailable as exc:
        err.print(f"[red]store unavailable:[/] {exc}; {ctx.pipeline.spool.pending()} posts stay spooled in "
                  f"{ctx.settings.spool_dir}")
        raise typer.Exit(code=75) from None
    console.print(f"replayed {stats.replayed} posts; {ctx.pipeline.spool.pending()} still spooled")
    if stats.quarantined:
        err.print(f"{stats.quarantined} posts rejected by the store kept in {ctx.pipeline.quarantine.path}")


@app.command()
def search(text: Optional[str] = typer.Argument(None), campaign: Optional[str] = None,
           platform: Optional[str] = None, lang: Optional[str] = None, sentiment: Optional[str] = None,
           hoax: Optional[bool] = typer.Option(None, "--hoax/--no-hoax"), since: Optional[datetime] = None,
           until: Optional[datetime] = None, limit: int = 20, sort: str = "relevance",
           config: Optional[Path] = ConfigOpt) -> None:
    """Search (the search language: README, Search) with filters, printed as a table."""
    ctx = context(config)
    try:
        result = ctx.store.search(PostQuery(text=text, campaign=campaign, platform=platform, lang=lang,
                                            sentiment=sentiment, hoax=hoax, since=since, until=until),
                                  Page(limit=limit, sort=sort))
    except QuerySyntaxError as exc:
        err.print(f"[red]invalid query:[/] {exc}")
        raise typer.Exit(code=2) from None
    table = Table(title=f"{result.total} posts")
    for col in ("created", "platform", "author", "sentiment", "text"):
        table.add_column(col, overflow="fold")
    for p in result.posts:
        table.add_row(p.created_at.strftime("%Y-%m-%d %H:%M"), p.platform, p.author or "",
                      p.classification.sentiment or "", p.text[:160])
    console.print(table)


@app.command()
def collect(once: bool = typer.Option(False, "--once", help="One round over every source, then exit"),
            config: Optional[Path] = ConfigOpt) -> None:
    """Collect from the sources in the config file into the pipeline (continuously unless --once)."""
    from service.worker import run_worker

    for row in run_worker(context(config), once=once) or []:
        console.print(row)


@app.command()
def worker(config: Optional[Path] = ConfigOpt) -> None:
    """Long-running worker (docker compose): collectors + spool replay, until SIGTERM."""
    from service.worker import run_worker

    run_worker(context(config))


@app.command()
def train(data: Optional[Path] = typer.Option(None, help="shared/data folder (default: NW_DATA_ROOT or found above the "
                                                        "repo)"),
          models: Optional[Path] = typer.Option(None, help="Where to write the artifacts (default: classifiers/models)"),
          only: Optional[str] = typer.Option(None, help="sentiment | hoax: retrain one part, keep the other")
          ) -> None:
    """Train the sentiment models, the hoax-style model and the seed claim database; write artifacts + model card."""
    from classifiers import training

    raise typer.Exit(training.main(["train", *_data_args(data, models), *(["--only", only] if only else [])]))


@app.command()
def evaluate(data: Optional[Path] = typer.Option(None, help="shared/data folder"),
             models: Optional[Path] = typer.Option(None, help="Artifacts to evaluate (default: classifiers/models)")
             ) -> None:
    """Print sentiment macro-F1 (review tests, social sets leave-one-domain-out), hoax false flags per topic slice,
    hoax recall and claim-matching recall@1 / false matches, all at the shipped thresholds."""
    from classifiers import training

    raise typer.Exit(training.main(["evaluate", *_data_args(data, models)]))


@app.command()
def adapt(workspace: str = typer.Option(..., help="Workspace whose analysts' corrections to learn from"),
          head: str = typer.Option("sentiment", help="sentiment (sentiment corrections) or hoax (the hoax-style "
                                                     "head, from hoax / not-hoax corrections)"),
          min_corrections: int = typer.Option(50, help="Do nothing below this many corrected posts"),
          rollback: bool = typer.Option(False, "--rollback", help="Re-activate the previous head instead"),
          config: Optional[Path] = ConfigOpt) -> None:
    """Fit the workspace's head on the shipped model + its corrections; activate it if not worse on the held-out
    corrections (20% of posts, by id). Running API/worker processes pick it up on their next batch."""
    from classifiers import adapt as adaptation
    from service.classify import adapted_dir
    from service.corrections import HEADS, CorrectionStore, adaptation_base, adaptation_rows

    if head not in HEADS:
        err.print(f"[red]--head must be one of {', '.join(HEADS)}[/]")
        raise typer.Exit(code=2)
    settings = settings_for(config)
    registry = adaptation.HeadRegistry(adapted_dir(settings), kind=head)
    try:
        if rollback:
            prev = registry.rollback(workspace)
            console.print(f"{workspace}: active {head} head now {prev or 'the shipped model'}")
            return
        rows = adaptation_rows(CorrectionStore.for_settings(settings), workspace, head)
        rep = adaptation.adapt(adaptation_base(head), registry, workspace, rows, min_corrections)
    except ValueError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(code=2) from None
    console.print(f"{workspace} ({head}): {rep.n_train} training / {rep.n_heldout} held-out corrections")
    if rep.after is None:
        err.print(f"[yellow]nothing fitted:[/] {rep.reason}")
        raise typer.Exit(code=1)
    console.print(f"held-out macro-F1: shipped {rep.base:.1f}, before ({rep.before_version or 'shipped'}) "
                  f"{rep.before:.1f}, after ({rep.version}) {rep.after:.1f} ({rep.after - rep.before:+.1f})")
    console.print(f"{rep.version} {'activated' if rep.activated else 'saved, NOT activated'}: {rep.reason}")


def _data_args(data: Optional[Path], models: Optional[Path]) -> list[str]:
    return [*(["--data", str(data)] if data else []), *(["--models", str(models)] if models else [])]


tipline = typer.Typer(help="The public tipline (Telegram bot, WhatsApp number)", no_args_is_help=True)
app.add_typer(tipline, name="tipline")


@tipline.command("telegram-webhook")
def tipline_telegram_webhook(url: Optional[str] = typer.Argument(None, help="Public https address of this API, e.g. "
                                                                             "https://nw.example.go.id"),
                             delete: bool = typer.Option(False, "--delete", help="Remove the webhook (to poll)"),
                             config: Optional[Path] = ConfigOpt) -> None:
    """Point the bot at POST <url>/tipline/telegram/<webhook_path> (setWebhook with the webhook secret)."""
    from collectors.http import HttpClient
    from collectors.tipline import set_webhook
    from service.tipline.config import TiplineSettings

    tg = TiplineSettings.load(settings_for(config).file_config).telegram
    if tg.token is None or (not delete and (not url or tg.webhook_path is None or tg.webhook_secret is None)):
        err.print("[red]needs tipline.telegram.token, webhook_path and webhook_secret, and the URL (or --delete)[/]")
        raise typer.Exit(code=2)
    hook = None if delete else f"{url.rstrip('/')}/tipline/telegram/{tg.webhook_path.get_secret_value()}"
    http = HttpClient(host_delay=0.0, max_attempts=2)
    try:
        said = set_webhook(http, tg.base_url, tg.token.get_secret_value(), hook,
                           tg.webhook_secret.get_secret_value() if tg.webhook_secret else None)
    except Exception as exc:  # noqa: BLE001 - one line, no traceback with the token in it
        from core.redact import redact

        err.print(f"[red]{escape(redact(f'{type(exc).__name__}: {exc}'))}[/]")
        raise typer.Exit(code=1) from None
    finally:
        http.close()
    console.print(escape(said))


keys = typer.Typer(help="API keys (stored hashed; the key is shown once)", no_args_is_help=True)
app.add_typer(keys, name="keys")


@keys.command("create")
def keys_create(name: str = typer.Option(..., help="Who or what uses the key"),
                role: str = typer.Option(..., help="analyst | pr | leadership | admin"),
                workspace: str = typer.Option(..., help="Agency workspace slug, or '*' for all"),
                config: Optional[Path] = ConfigOpt) -> None:
    """Create an API key and print it."""
    from service.api.auth import create_key

    try:
        console.print(create_key(settings_for(config), name, role, workspace))
    except ValueError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(code=2) from None


@keys.command("list")
def keys_list(config: Optional[Path] = ConfigOpt) -> None:
    """List API keys: id, name, role, workspace, created, last used, revoked (never the key or its hash)."""
    from service.api.auth import KeyStore

    table = Table(title="API keys")
    for col in ("id", "name", "role", "workspace", "created", "last used", "revoked"):
        table.add_column(col, overflow="fold")
    for k in KeyStore(settings_for(config)).list():
        table.add_row(k.key_id, escape(k.name), k.role, k.workspace, k.created_at, k.last_used_at or "",
                      k.revoked_at or "")  # a name is user input: never rich markup
    console.print(table)


@keys.command("revoke")
def keys_revoke(key: str = typer.Argument(..., help="Key id (from `keys list`) or key name"),
                all_: bool = typer.Option(False, "--all", help="Revoke every active key with this name"),
                config: Optional[Path] = ConfigOpt) -> None:
    """Revoke an API key by id, or by name (a name shared by several active keys needs --all)."""
    from service.api.auth import KeyStore

    store = KeyStore(settings_for(config))
    active = [k for k in store.list() if k.revoked_at is None]
    targets = [k for k in active if k.key_id == key] or [k for k in active if k.name == key]
    if not targets:
        err.print(f"no active key with id or name {escape(repr(key))}")
        raise typer.Exit(code=1)
    if len(targets) > 1 and not all_:
        err.print(f"{len(targets)} active keys are named {escape(repr(key))} "
                  f"({', '.join(k.key_id for k in targets)}): give an id, or --all")
        raise typer.Exit(code=2)
    for k in targets:
        if store.revoke(k.key_id):
            console.print(f"revoked {k.key_id} ({escape(k.name)}, {k.role}, workspace {k.workspace})")


@app.command()
def serve(host: Optional[str] = None, port: Optional[int] = None, config: Optional[Path] = ConfigOpt) -> None:
    """Run the API (OpenAPI docs at /docs) and the dashboards (/ui)."""
    import uvicorn

    from service.api.app import create_app
    from service.api.proxies import SERVER_OPTIONS

    settings = settings_for(config)
    base = f"http://{host or settings.host}:{port or settings.port}"
    console.print(f"serving on {base}/docs (API) and {base}/ui (dashboards; log in with a key from "
                  "`narrawatch keys create`)", soft_wrap=True)
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="info",
                **SERVER_OPTIONS)


if __name__ == "__main__":
    app()
