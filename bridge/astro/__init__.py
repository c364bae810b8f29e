"""The Astro Loyalty REST client: the only code in astro-bridge that speaks HTTP to Astro.

``StoreClients`` keeps the clients of the configured stores' logins, shared by the web
requests and the retry worker. May import: bridge.config, urllib3 (the calls), requests
(the environment's proxy and CA bundle, read as requests reads them); nothing of HTTP
pages, the journal or the layers above.

``AstroClient`` holds the connections, token and timeouts; every failure is an
``AstroError`` (NotSent, Ambiguous, AuthError, BusinessError and their subclasses; an
answer the client cannot use is ProtocolError, an Ambiguous; "No Customer Found" is
CustomerNotFound, a BusinessError). Nothing else escapes it.
"""
from bridge.astro.client import AstroClient, CallResult
from bridge.astro.errors import (Ambiguous, AstroError, AuthError, BusinessError,
                                 CustomerNotFound, InvalidClientID, NotSent, ProtocolError,
                                 RateLimited)
from bridge.astro.models import (Card, CardPurchase, CustomerMatch, CustomerStatus,
                                 EligibleItem, Eligibility, FreeGood, ItemProgram, LineResult,
                                 Offer, OfferReward, PointReward, PointsAward, PointsStatus,
                                 PointsTransaction, Purchase, RemovedTransaction)
from bridge.astro.stores import StoreClients

__all__ = [
    "AstroClient", "CallResult",
    "AstroError", "NotSent", "RateLimited", "Ambiguous", "ProtocolError", "AuthError",
    "InvalidClientID", "BusinessError", "CustomerNotFound",
    "Card", "CardPurchase", "CustomerMatch", "CustomerStatus", "EligibleItem", "Eligibility",
    "FreeGood", "ItemProgram", "LineResult", "Offer", "OfferReward", "PointReward",
    "PointsAward", "PointsStatus", "PointsTransaction", "Purchase", "RemovedTransaction",
    "StoreClients",
]
