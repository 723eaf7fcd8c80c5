"""The ``commentguard`` command line.

Running processes (``up``, ``serve``, ``worker``, ``beat``) and managing sites live here. Model
work (``train``, ``classify``) is delegated to ``python -m models`` so this package never
imports the models or the workers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from service.schemas import SiteConfig, SiteCreate, SiteUpdate
from service.settings import Settings, SettingsError, get_settings, read_or_create_secret

__all__ = ["main"]

WORKER_QUEUES = "scoring,delivery,maintenance"


def _running_redis_url(settings: Settings) -> str:
    """The configured Redis, else the embedded one a running ``commentguard up`` wrote down."""
    if settings.redis_url:
        return settings.redis_url
    note = settings.data_dir / "embedded-redis-url"
    if note.exists():
        return note.read_text().strip()
    return settings.redis_url_or_fail()


def _store(settings: Settings) -> Any:
    from service.store import Store

    return Store.from_url(
        _running_redis_url(settings), settings.key_prefix, settings.retention_days
    )


def _print_site(site: Any, as_json: bool) -> None:
    data = msgspec.to_builtins(site)
    if as_json:
        print(json.dumps(data, indent=2))
        return
    print(f"site id:        {site.id}")
    print(f"name:           {site.name}")
    print(f"url:            {site.url}")
    print(f"callback url:   {site.callback_url or '-'}")
    print(f"mode:           {site.config.mode}")
    if site.api_key:
        print(f"api key:        {site.api_key}")
        print("                (shown once; only its hash is stored)")
    if site.webhook_secret:
        print(f"webhook secret: {site.webhook_secret}")


def _config_arg(raw: str | None) -> SiteConfig | None:
    if raw is None:
        return None
    text = Path(raw[1:]).read_text() if raw.startswith("@") else raw
    return msgspec.json.decode(text, type=SiteConfig)


def cmd_sites(args: argparse.Namespace, settings: Settings) -> int:
    from service import sites
    from service.validation import BodyError

    store = _store(settings)
    try:
        if args.sites_cmd == "create":
            config = _config_arg(args.config) or SiteConfig()
            if args.mode:
                config = msgspec.structs.replace(config, mode=args.mode)
            out = sites.create_site(
                store,
                settings,
                SiteCreate(
                    name=args.name,
                    url=args.url,
                    callback_url=args.callback_url or "",
                    config=config,
                ),
            )
            _print_site(out, args.json)
        elif args.sites_cmd == "list":
            listed = [sites.site_out(s) for s in store.list_sites()]
            if args.json:
                print(json.dumps(msgspec.to_builtins(listed), indent=2))
            else:
                for s in listed:
                    print(f"{s.id}  {s.name:<24} {s.config.mode:<12} {s.url}")
        elif args.sites_cmd == "rotate-key":
            _print_site(sites.rotate_key(store, args.site_id), args.json)
        elif args.sites_cmd == "update":
            new_config = _config_arg(args.config)
            if args.mode:
                current = store.get_site(args.site_id) or _missing(args.site_id)
                new_config = msgspec.structs.replace(new_config or current.config, mode=args.mode)
            update = SiteUpdate(
                name=args.name, url=args.url, callback_url=args.callback_url, config=new_config
            )
            _print_site(sites.update_site(store, settings, args.site_id, update), args.json)
    except sites.SiteNotFoundError as exc:
        print(f"error: no site {exc}; `commentguard sites list` shows them", file=sys.stderr)
        return 1
    except BodyError as exc:
        for d in exc.details:
            print(f"error: {d.field}: {d.message}", file=sys.stderr)
        return 2
    except msgspec.ValidationError as exc:
        print(f"error: --config: {exc}", file=sys.stderr)
        return 2
    return 0


def _read_password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password from stdin when asked, else a generated one; True when generated."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    import secrets

    return secrets.token_urlsafe(15), True


def cmd_moderators(args: argparse.Namespace, settings: Settings) -> int:
    from service import accounts

    store = _store(settings)
    if args.mod_cmd == "create":
        sites = [s.strip() for s in (args.sites or "").split(",") if s.strip()]
        unknown = [s for s in sites if store.get_site(s) is None]
        if unknown:
            print(
                f"error: no site {', '.join(unknown)}; see `commentguard sites list`",
                file=sys.stderr,
            )
            return 1
        if not sites and not args.admin:
            print("error: give --sites a,b or --admin", file=sys.stderr)
            return 2
        password, generated = _read_password(args)
        try:
            account = accounts.create_account(store, args.email, password, sites, args.admin)
        except accounts.AccountExistsError:
            print(f"error: an account for {args.email} exists already", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"account id: {account.id}")
        print(f"email:      {account.email}")
        print(f"role:       {'admin' if account.admin else 'moderator of ' + ', '.join(sites)}")
        if generated:
            print(f"password:   {password}")
            print("            (shown once; only its Argon2 hash is stored)")
        return 0
    if args.mod_cmd == "list":
        listed = store.list_accounts()
        if args.json:
            rows = [msgspec.to_builtins(a) for a in listed]
            for row in rows:
                row.pop("password_hash", None)
            print(json.dumps(rows, indent=2))
        else:
            for a in listed:
                role = "admin" if a.admin else ",".join(a.sites)
                state = " (disabled)" if a.disabled else ""
                print(f"{a.id}  {a.email:<32} {role}{state}")
        return 0
    if args.mod_cmd == "token":
        found = store.account_by_email(accounts.normalize_email(args.email))
        if found is None:
            print(f"error: no account for {args.email}", file=sys.stderr)
            return 1
        print(accounts.issue_api_token(store, found))
        return 0
    return 2


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    """Write the feedback labels in force as JSON lines (stdout or --out)."""
    from service.moderation import feedback_labels

    store = _store(settings)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    count = 0
    try:
        for label in feedback_labels(store):
            out.write(json.dumps(label, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    finally:
        if args.out:
            out.close()
    print(f"{count} labels", file=sys.stderr)
    return 0


def _missing(site_id: str) -> Any:
    from service.sites import SiteNotFoundError

    raise SiteNotFoundError(site_id)


def _exec(argv: list[str]) -> int:
    """Run a child in the foreground, passing Ctrl-C through, and return its exit code."""
    process = subprocess.Popen(argv)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        return process.wait()


def worker_argv(settings: Settings, concurrency: int | None = None) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
        "-Q", WORKER_QUEUES,
        "-c", str(concurrency or settings.worker_concurrency),
        "--loglevel", settings.log_level,
        "-E",
        "--without-mingle", "--without-gossip",
    ]  # fmt: skip


def beat_argv(settings: Settings) -> list[str]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return [
        sys.executable, "-m", "celery", "-A", "workers.celery_app", "beat",
        "--loglevel", settings.log_level,
        "-s", str(settings.data_dir / "celerybeat-schedule"),
    ]  # fmt: skip


def api_argv(
    host: str, port: int, processes: int = 1, forwarded_allow_ips: str = "127.0.0.1"
) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory",
        "--host", host, "--port", str(port), "--workers", str(processes),
        "--no-access-log", "--timeout-graceful-shutdown", "10",
        # client addresses (rate limits, logs) come from X-Forwarded-For only via these proxies
        "--proxy-headers", "--forwarded-allow-ips", forwarded_allow_ips,
    ]  # fmt: skip


def _admin_token(settings: Settings) -> str:
    if settings.admin_token:
        return settings.admin_token
    return read_or_create_secret(settings.data_dir / "admin-token", prefix="cga_")


def _wait_http(url: str, timeout: float, children: Sequence[subprocess.Popen[bytes]]) -> bool:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(c.poll() is not None for c in children):
            return False
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def _self_command() -> str:
    """How to call this command again: the venv's script when it is not on PATH (make run)."""
    script = Path(sys.executable).parent / "commentguard"
    if shutil.which("commentguard") == str(script) or not script.exists():
        return "commentguard"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    """api + worker + beat (+ embedded Redis) in one command, stopped together."""
    from service.embedded_redis import EmbeddedRedis

    embedded = None
    env = dict(os.environ)
    redis_url = settings.redis_url
    if not redis_url:
        embedded = EmbeddedRedis(settings.data_dir / "redis", port=args.redis_port).start()
        redis_url = embedded.url
        (settings.data_dir / "embedded-redis-url").write_text(redis_url + "\n")
        print(f"started embedded Redis on {redis_url} (data in {settings.data_dir / 'redis'})")
    token = _admin_token(settings)
    public_url = f"http://{args.host}:{args.port}"
    env.update(
        COMMENTGUARD_REDIS_URL=redis_url,
        COMMENTGUARD_ADMIN_TOKEN=token,
        COMMENTGUARD_PUBLIC_URL=settings.public_url
        if settings.public_url != Settings.public_url
        else public_url,
    )
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    try:
        for argv in (
            api_argv(args.host, args.port, args.api_processes, settings.forwarded_allow_ips),
            worker_argv(settings, args.concurrency),
            beat_argv(settings),
        ):
            children.append(subprocess.Popen(argv, env=env, start_new_session=True))
        if _wait_http(f"{public_url}/health", 30, children):
            print()
            print(f"Commentguard is up on {public_url}")
            print(f"  admin token:   {token}")
            me = _self_command()
            print(f"  create a site: {me} sites create --name Blog --url https://b.example")
            print(f"  moderators:    {me} moderators create --email you@example.org --admin")
            print(f"  review queue:  {public_url}/moderate   operations: {public_url}/ops")
            print("  stop:          Ctrl-C")
            print(flush=True)
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    what = " ".join(str(a) for a in child.args[2:5])  # type: ignore[index]
                    print(
                        f"error: {what} exited with {child.returncode}; "
                        "stopping everything (see its output above)",
                        file=sys.stderr,
                    )
                    stopping, code = True, 1
            time.sleep(0.3)
    finally:
        print("stopping...", file=sys.stderr)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if embedded is not None:
            embedded.stop()
            (settings.data_dir / "embedded-redis-url").unlink(missing_ok=True)
    return code


def cmd_delegate(module: str, rest: list[str]) -> int:
    return _exec([sys.executable, "-m", module, *rest])


def cmd_retrain(rest: list[str]) -> int:
    """Retraining runs in a child (``python -m workers.retrain``): the api never loads models."""
    if "--data" not in rest and not any(a.startswith("--data=") for a in rest):
        rest = ["--data", str(get_settings().retrain_data_dir), *rest]
    return cmd_delegate("workers.retrain", rest)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Make a demo site and post sample comments (on the news post this project started from)
    to a running service, so the review queue and /ops have something to show."""
    import httpx

    token = settings.admin_token or _admin_token(settings)
    demo = json.loads((Path(__file__).with_name("demo.json")).read_text())
    admin = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=args.url, timeout=30) as client:
        made = client.post(
            "/v1/admin/sites",
            json={"name": "Demo news", "url": "https://news.example"},
            headers=admin,
        )
        if made.status_code != 201:
            print(f"error: creating the demo site: HTTP {made.status_code} {made.text}")
            print("Is `commentguard up` running, and is the admin token the one it printed?")
            return 1
        site = made.json()
        print(f"demo site {site['id']}; api key {site['api_key']}")
        key = {"Authorization": f"Bearer {site['api_key']}"}
        for number, comment in enumerate(demo["comments"], 1):
            body = {"id": f"demo-{number}", "post": demo["post"], **comment}
            answer = client.post("/v1/comments", params={"wait": 10}, json=body, headers=key)
            verdict = answer.json().get("verdict") or {}
            decision = verdict.get("decision", answer.json().get("status", "?"))
            print(f"  {decision:<8} {comment['content'][:70]}")
    print(f"Review the held ones at {args.url}/moderate (log in as an admin moderator).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="commentguard", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)

    up = sub.add_parser("up", help="run api + worker + beat (and Redis when none is configured)")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8000)
    up.add_argument("--concurrency", type=int, default=None, help="worker processes")
    up.add_argument("--api-processes", type=int, default=1)
    up.add_argument("--redis-port", type=int, default=0, help="embedded Redis port (0: any free)")

    serve = sub.add_parser("serve", help="run the api only")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--processes", type=int, default=1)

    worker = sub.add_parser("worker", help="run a Celery worker")
    worker.add_argument("--concurrency", type=int, default=None)
    sub.add_parser("beat", help="run Celery beat (periodic sweeps)")

    status = sub.add_parser("status", help="queues, workers, failures and the last hour")
    status.add_argument(
        "--watch",
        nargs="?",
        type=float,
        const=2.0,
        default=0.0,
        metavar="SECONDS",
        help="redraw every SECONDS (default 2) until Ctrl-C",
    )
    status.add_argument("--json", action="store_true")

    demo = sub.add_parser("demo", help="post sample comments to a running service")
    demo.add_argument("--url", default="http://127.0.0.1:8000")

    sites = sub.add_parser("sites", help="manage sites (tenants)")
    sites_sub = sites.add_subparsers(dest="sites_cmd", required=True)
    create = sites_sub.add_parser("create", help="create a site and print its API key once")
    create.add_argument("--name", required=True)
    create.add_argument("--url", required=True)
    create.add_argument("--callback-url", default="")
    create.add_argument("--mode", choices=["auto", "premoderate", "shadow"])
    create.add_argument("--config", help="site config as JSON, or @file.json")
    create.add_argument("--json", action="store_true")
    listing = sites_sub.add_parser("list")
    listing.add_argument("--json", action="store_true")
    rotate = sites_sub.add_parser("rotate-key", help="new API key; the old one stops working")
    rotate.add_argument("site_id")
    rotate.add_argument("--json", action="store_true")
    update = sites_sub.add_parser("update")
    update.add_argument("site_id")
    update.add_argument("--name")
    update.add_argument("--url")
    update.add_argument("--callback-url")
    update.add_argument("--mode", choices=["auto", "premoderate", "shadow"])
    update.add_argument("--config", help="site config as JSON, or @file.json")
    update.add_argument("--json", action="store_true")

    moderators = sub.add_parser("moderators", help="manage moderator and admin accounts")
    mod_sub = moderators.add_subparsers(dest="mod_cmd", required=True)
    mod_create = mod_sub.add_parser("create", help="create an account (prints a password once)")
    mod_create.add_argument("--email", required=True)
    role = mod_create.add_mutually_exclusive_group()
    role.add_argument("--sites", help="comma-separated site ids this moderator works on")
    role.add_argument("--admin", action="store_true", help="sees and acts on every site")
    mod_create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    mod_list = mod_sub.add_parser("list")
    mod_list.add_argument("--json", action="store_true")
    mod_token = mod_sub.add_parser("token", help="issue an API token for the moderation API")
    mod_token.add_argument("--email", required=True)

    feedback = sub.add_parser("feedback", help="moderator labels for training")
    feedback_sub = feedback.add_subparsers(dest="feedback_cmd", required=True)
    export = feedback_sub.add_parser("export", help="write the labels in force as JSONL")
    export.add_argument("--out", help="file to write (default: stdout)")
    retrain = sub.add_parser(
        "retrain",
        help="retrain from base data + feedback; promote only if not worse",
        add_help=False,
    )
    retrain.add_argument("rest", nargs=argparse.REMAINDER)

    for name, text in (
        ("train", "rebuild the model artifacts from a data folder"),
        ("classify", "score JSON lines with the models"),
    ):
        delegated = sub.add_parser(name, help=text, add_help=False)
        delegated.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw and raw[0] in {"train", "classify"}:
        return cmd_delegate("models", raw)
    if raw and raw[0] == "retrain":
        return cmd_retrain(raw[1:])
    args = build_parser().parse_args(raw)
    try:
        settings = get_settings()
        if args.cmd == "up":
            return cmd_up(args, settings)
        if args.cmd == "serve":
            return _exec(
                api_argv(args.host, args.port, args.processes, settings.forwarded_allow_ips)
            )
        if args.cmd == "worker":
            return _exec(worker_argv(settings, args.concurrency))
        if args.cmd == "beat":
            return _exec(beat_argv(settings))
        if args.cmd == "status":
            from service.status import run_status

            return run_status(_store(settings), args.watch, args.json)
        if args.cmd == "sites":
            return cmd_sites(args, settings)
        if args.cmd == "demo":
            return cmd_demo(args, settings)
        if args.cmd == "moderators":
            return cmd_moderators(args, settings)
        if args.cmd == "feedback":
            return cmd_feedback(args, settings)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
