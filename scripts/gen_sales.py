#!/usr/bin/env python3
"""Generate a year of pet-store sales for the README demo and the replay benchmark.

Writes a line-item CSV in the Lightspeed layout (see bridge.replay.presets), or one
legacy button query string per sale (`--format urls`), or printable-form JSON lines
(`--format jsonl`). Item codes mix the sandbox's enrolled programs (dog kibble UPCs,
the self-wash item), a not-enrolled program and ordinary items, so a replay against
`astro-bridge sandbox` punches cards and also shows `No Item Found` lines.
Deterministic for a given --seed; streams, so a million lines need no memory.

    python scripts/gen_sales.py --sales 2000 -o sales.csv
    python scripts/gen_sales.py --lines 1000000 -o big.csv
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import random
import sys
from urllib.parse import urlencode

HEADER = ["Sale ID", "Date", "Customer ID", "First Name", "Last Name", "Email", "Phone",
          "UPC", "Description", "Qty", "Subtotal"]
ITEMS = [  # code, description, price, weight
    ("012345678905", "Kibble Dog Food 30lb", "45.99", 30),
    ("072030001234", "Kibble Dog Food 15lb", "27.49", 15),
    ("WASH-SELF", "Self-serve dog wash", "12.00", 15),
    ("850000000018", "Catnip Treats", "4.99", 10),
    ("400000000015", "Chew Toy", "8.99", 15),
    ("400000000022", "Leash, red", "14.50", 8),
    ("400000000039", "Poop Bags 120ct", "6.25", 7),
]
FIRST = ["Sally", "Max", "Bella", "Charlie", "Lucy", "Cooper", "Daisy", "Milo", "Luna", "Rocky"]
LAST = ["Pet Owner", "Smith", "Garcia", "Nguyen", "Okafor", "Kowalski", "Rossi", "Haddad"]


def customers(n: int, rng: random.Random) -> list[tuple]:
    """(id, first, last, email, phone); customer 1 is the sandbox's Sally."""
    people = [("SALLY-1", "Sally", "Pet Owner", "sally@example.com", "5550100100")]
    for i in range(2, n + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        people.append((f"C{i:05d}", first, last,
                       f"{first.lower()}.{i}@example.com", f"555{rng.randrange(10**7):07d}"))
    return people


def sales(count: int | None, lines: int | None, n_customers: int, year: int, seed: int):
    """Yield (sale_id, date, customer, [(code, description, qty, amount)]) in date order
    until `count` sales or `lines` lines have been made. Sale ids are
    `S<year>-<seed>-<n>`: unique per year and seed."""
    rng = random.Random(seed)
    people = customers(n_customers, rng)
    weights = [w for *_, w in ITEMS]
    expected = count if count is not None else max(1, lines // 2)
    start = dt.date(year, 1, 1)
    made = made_lines = 0
    while (count is None or made < count) and (lines is None or made_lines < lines):
        made += 1
        day = start + dt.timedelta(days=min(364, (made - 1) * 365 // expected))
        k = rng.choice((1, 1, 2, 2, 3))
        if lines is not None:
            k = min(k, lines - made_lines)
        items = []
        for code, description, price, _ in rng.choices(ITEMS, weights, k=k):
            qty = rng.choice((1, 1, 1, 2))
            items.append((code, description, qty, f"{float(price) * qty:.2f}"))
        made_lines += k
        # Year and seed in the id: two generated files never share a sale id.
        yield f"S{year}-{seed}-{made:07d}", day.isoformat(), rng.choice(people), items


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sales", type=int, help="number of sales (default 2000)")
    ap.add_argument("--lines", type=int, help="stop at this many line items instead")
    ap.add_argument("--customers", type=int, default=300)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=("csv", "urls", "jsonl"), default="csv")
    ap.add_argument("--no-sale-id", action="store_true",
                    help="leave sale ids out (replay then groups by customer and date)")
    ap.add_argument("-o", "--output", default="-", help="file to write (default stdout)")
    args = ap.parse_args(argv)
    count = args.sales if args.sales or args.lines else 2000
    with (contextlib.nullcontext(sys.stdout) if args.output == "-"
          else open(args.output, "w", newline="", encoding="utf-8")) as out:
        write(out, args, sales(count, args.lines, args.customers, args.year, args.seed))
    return 0


def write(out, args, generated) -> None:
    if args.format == "csv":
        writer = csv.writer(out)
        writer.writerow(HEADER)
    for sale_id, day, (cid, first, last, email, phone), items in generated:
        sale_id = "" if args.no_sale_id else sale_id
        if args.format == "csv":
            for code, description, qty, amount in items:
                writer.writerow([sale_id, day, cid, first, last, email, phone, code,
                                 description, qty, amount])
            continue
        total = f"{sum(float(a) for *_, a in items):.2f}"
        if args.format == "urls":
            params = [("CustomerID", cid), ("FirstName", first), ("LastName", last),
                      ("Email", email), ("Phone", phone)]
            for n, (code, description, qty, _) in enumerate(items, 1):
                params += [(f"UPC{n}", code), (f"Description{n}", description), (f"Qty{n}", qty)]
            params += [("SubTotal", total), ("Date", day)]
            if sale_id:
                params.append(("SaleID", sale_id))
            out.write(urlencode(params) + "\n")
        else:
            out.write(json.dumps({
                "username": None,
                "customer": {"id": cid, "first_name": first, "last_name": last,
                             "email": email, "phone": phone},
                "lines": [{"index": n, "upc": code, "description": description, "qty": qty}
                          for n, (code, description, qty, _) in enumerate(items, 1)],
                "subtotal": total, "sale_id": sale_id or None, "date": day,
                "refund": False, "store": None, "warnings": []}) + "\n")


if __name__ == "__main__":
    sys.exit(main())
