"""Commands `daemon`, `serve` and `feed-url`, registered through ``commands.REGISTER``."""

from __future__ import annotations

import argparse
import logging


def _daemon_logging(args: argparse.Namespace) -> None:
    """A long-running process says what it does: INFO for our loggers unless -v says more."""
    if not args.verbose:
        logging.getLogger("legday_sync").setLevel(logging.INFO)


def cmd_daemon(args: argparse.Namespace) -> int:
    from ..daemon import Daemon
    from .main import load_settings

    settings = load_settings(args)
    _daemon_logging(args)
    return Daemon(settings).run()


def cmd_serve(args: argparse.Namespace) -> int:
    from ..daemon import serve_forever
    from .main import load_settings

    settings = load_settings(args)
    _daemon_logging(args)
    return serve_forever(settings)


def cmd_feed_url(args: argparse.Namespace) -> int:
    from ..web.feed import ensure_token, feed_url, page_url, rotate_token, webcal_url
    from .main import load_settings

    settings = load_settings(args)
    token = rotate_token(settings.state_dir) if args.rotate else ensure_token(settings.state_dir)
    url = feed_url(settings.feed.host, settings.feed.port, token, args.base_url)
    print(url)
    print(webcal_url(url))
    # stdout's first two lines stay the two feed URLs (scripts read them); the rest is for people
    import sys

    print(f"status page: {page_url(url)}", file=sys.stderr)
    if not args.base_url:
        print("(a phone or Google Calendar can reach these only at a public address: see "
              "--base-url, or write to CalDAV/Google instead)", file=sys.stderr)
    if args.rotate:
        print("The token was rotated: the old URL is now a 404; re-subscribe with the new one.",
              file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser("daemon", help="sync on a schedule and serve the .ics feed, until stopped")
    d.set_defaults(func=cmd_daemon)
    s = sub.add_parser("serve", help="serve the .ics feed alone (another process syncs)")
    s.set_defaults(func=cmd_serve)
    f = sub.add_parser("feed-url", help="print the feed's http:// and webcal:// URLs")
    f.add_argument("--rotate", action="store_true",
                   help="make a new secret token; the old URL stops working")
    f.add_argument("--base-url", metavar="URL",
                   help="the public base URL behind a reverse proxy, e.g. "
                        "https://cal.example.org (default: http://[feed] listen)")
    f.set_defaults(func=cmd_feed_url)
