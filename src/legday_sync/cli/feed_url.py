"""`legday-sync feed-url`: the feed's secret address, to subscribe to."""

from __future__ import annotations

import argparse
import sys

from ..errors import EXIT_OK
from .common import command, examples, load_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = command(
        sub, "feed-url", summary="print the feed's and the status page's addresses",
        description="Print the address of the .ics feed (with its secret token, made on "
                    "first use) as http:// and webcal:// on stdout, and the status page's "
                    "on stderr. Subscribe to the feed in any calendar app; --rotate makes a "
                    "new token and the old addresses a 404.",
        example=examples(("legday-sync feed-url", "the addresses to subscribe to"),
                         ("legday-sync feed-url --base-url https://cal.example.org",
                          "behind a reverse proxy"),
                         ("legday-sync feed-url --rotate", "a new secret; the old URL stops")))
    p.add_argument("--rotate", action="store_true",
                   help="make a new secret token; the old URL stops working")
    p.add_argument("--base-url", metavar="URL",
                   help="the public base URL behind a reverse proxy, e.g. "
                        "https://cal.example.org (default: http://[feed] listen)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..web.token import (
        ensure_token,
        feed_url,
        listen_base_url,
        page_url,
        rotate_token,
        webcal_url,
    )

    settings = load_settings(args)
    token = rotate_token(settings.state_dir) if args.rotate else ensure_token(settings.state_dir)
    url = feed_url(token, args.base_url or listen_base_url(settings.feed.host,
                                                           settings.feed.port))
    print(url)
    print(webcal_url(url))
    # stdout's two lines stay the feed's URLs (scripts read them); the rest is for people
    print(f"status page: {page_url(url)}", file=sys.stderr)
    if not args.base_url:
        print("(a phone or Google Calendar can reach these only at a public address: see "
              "--base-url, or write to CalDAV/Google instead)", file=sys.stderr)
    if args.rotate:
        print("The token was rotated: the old URL is now a 404; re-subscribe with the new one.",
              file=sys.stderr)
    return EXIT_OK
