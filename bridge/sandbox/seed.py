"""The sandbox's seed: the Astro account (logins, programs, offers, points rewards,
customers) a fresh sandbox starts with, read from a TOML file."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Login:
    username: str
    password: str = field(repr=False)
    client_id: str


@dataclass(frozen=True)
class Item:
    code: str
    description: str


@dataclass(frozen=True)
class Program:
    """A Buy X Get Y program: `purchase_required` punches complete a card."""
    id: int
    title: str
    mfg_id: int
    mfg_name: str
    type: str
    enrolled: bool
    purchase_required: int
    reward_count: int
    requires: tuple[str, ...]
    description: str
    items: tuple[Item, ...]
    reward_items: tuple[Item, ...]

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)

    def reward_item(self, code: str) -> Item | None:
        return next((i for i in self.reward_items if i.code == code), None)


@dataclass(frozen=True)
class Offer:
    id: int
    title: str
    mfg_id: int
    mfg_name: str
    type: str
    rebate_amount: Decimal
    purchase_required: int
    expires: str
    in_store_only: bool
    items: tuple[Item, ...]

    def item(self, code: str) -> Item | None:
        return next((i for i in self.items if i.code == code), None)


@dataclass(frozen=True)
class PointsReward:
    id: int
    title: str
    points: int
    reward_type: str
    reward_value: Decimal


@dataclass(frozen=True)
class SeedCustomer:
    astro_customer_id: str
    customer_id: str | None
    first_name: str
    last_name: str
    email: str
    phone: str
    address: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""


@dataclass(frozen=True)
class Seed:
    name: str
    token_ttl: int
    legacy_path: str
    logins: tuple[Login, ...]
    programs: tuple[Program, ...]
    offers: tuple[Offer, ...]
    points_per_dollar: int
    points_rewards: tuple[PointsReward, ...]
    customers: tuple[SeedCustomer, ...]
    faults: dict[str, Any]   # the [faults] table, as the control endpoint takes it

    def login(self, username: str, password: str) -> Login | None:
        return next((lg for lg in self.logins
                     if lg.username == username and lg.password == password), None)

    def program(self, program_id: int) -> Program | None:
        return next((p for p in self.programs if p.id == program_id), None)

    def enrolled_program_for(self, item_code: str) -> Program | None:
        """The first enrolled program listing `item_code` (exact match) as qualifying."""
        return next((p for p in self.programs if p.enrolled and p.item(item_code)), None)

    def offer(self, offer_id: int) -> Offer | None:
        return next((o for o in self.offers if o.id == offer_id), None)

    def offer_for(self, item_code: str) -> Offer | None:
        return next((o for o in self.offers if o.item(item_code)), None)

    def points_reward(self, reward_id: int) -> PointsReward | None:
        return next((r for r in self.points_rewards if r.id == reward_id), None)


def default_seed_text() -> str:
    """The packaged default seed (identical to config/sandbox.toml)."""
    return resources.files("bridge.sandbox").joinpath("default.toml").read_text("utf-8")


class SeedError(ValueError):
    """The seed file is not valid TOML or lacks something (one line saying what)."""


def load_seed(path: str | Path | None = None) -> Seed:
    """Read a seed TOML file; None means the packaged default seed. Raises SeedError."""
    text = default_seed_text() if path is None else Path(path).read_text("utf-8")
    try:
        return parse_seed(tomllib.loads(text))
    except KeyError as missing:
        raise SeedError(f"missing key {missing.args[0]!r}") from None
    except (TypeError, ValueError, ArithmeticError) as error:
        raise SeedError(str(error)) from None


def _items(rows) -> tuple[Item, ...]:
    return tuple(Item(str(r["code"]), str(r.get("description", ""))) for r in rows)


def parse_seed(data: dict[str, Any]) -> Seed:
    """Build a Seed from the TOML document's tables."""
    account = data.get("account", {})
    points = data.get("points", {})
    return Seed(
        name=account.get("name", "Sandbox Astro"),
        token_ttl=int(account.get("token_ttl", 1800)),
        legacy_path=account.get("legacy_path", "/legacy"),
        logins=tuple(Login(str(lg["username"]), str(lg["password"]), str(lg["client_id"]))
                     for lg in data.get("logins", [])),
        programs=tuple(Program(
            id=int(p["id"]), title=p["title"], mfg_id=int(p.get("mfg_id", 0)),
            mfg_name=p.get("mfg_name", ""), type=p.get("type", "frequent_buyer"),
            enrolled=bool(p.get("enrolled", True)),
            purchase_required=int(p["purchase_required"]),
            reward_count=int(p.get("reward_count", 1)),
            requires=tuple(p.get("requires", ())), description=p.get("description", ""),
            items=_items(p.get("items", [])), reward_items=_items(p.get("reward_items", [])),
        ) for p in data.get("programs", [])),
        offers=tuple(Offer(
            id=int(o["id"]), title=o["title"], mfg_id=int(o.get("mfg_id", 0)),
            mfg_name=o.get("mfg_name", ""), type=o.get("type", "rebate"),
            rebate_amount=Decimal(str(o.get("rebate_amount", "0"))),
            purchase_required=int(o.get("purchase_required", 1)),
            expires=str(o.get("expires", "")), in_store_only=bool(o.get("in_store_only", False)),
            items=_items(o.get("items", [])),
        ) for o in data.get("offers", [])),
        points_per_dollar=int(points.get("per_dollar", 1)),
        points_rewards=tuple(PointsReward(
            id=int(r["id"]), title=r["title"], points=int(r["points"]),
            reward_type=r.get("reward_type", "dollar_off"),
            reward_value=Decimal(str(r.get("reward_value", "0"))),
        ) for r in points.get("rewards", [])),
        customers=tuple(SeedCustomer(
            astro_customer_id=str(c["astro_customer_id"]),
            customer_id=str(c.get("customer_id") or "") or None,
            first_name=c.get("first_name", ""), last_name=c.get("last_name", ""),
            email=c.get("email", ""), phone=c.get("phone", ""), address=c.get("address", ""),
            city=c.get("city", ""), state=c.get("state", ""), zip=c.get("zip", ""),
        ) for c in data.get("customers", [])),
        faults=dict(data.get("faults", {})),
    )
