"""localstripe with Checkout sessions added: Stripe's API on 127.0.0.1 for the tests.

localstripe has no Checkout and no receipt pages; this answers `POST /v1/checkout/sessions`
(and `/expire`) the way Stripe does, from a recorded response shape, gives each charge the
`receipt_url` Stripe gives it, and leaves everything else to localstripe.
Run: python tests/sessions/stripe_server.py --port N --from-scratch
"""

import uuid

from aiohttp import web
from localstripe import resources, server

SESSIONS = {}


async def create_checkout_session(request):
    form = await request.post()
    checkout_id = f"cs_test_{uuid.uuid4().hex}"
    body = {
        "id": checkout_id,
        "object": "checkout.session",
        "mode": form.get("mode", "payment"),
        "status": "open",
        "payment_status": "unpaid",
        "amount_total": int(form.get("line_items[0][price_data][unit_amount]", "0")),
        "currency": form.get("line_items[0][price_data][currency]", "usd"),
        "client_reference_id": form.get("client_reference_id"),
        "metadata": {"order_id": form.get("metadata[order_id]", "")},
        "success_url": form.get("success_url"),
        "cancel_url": form.get("cancel_url"),
        "url": f"https://checkout.stripe.com/c/pay/{checkout_id}",
        "payment_intent": None,
    }
    # Stripe replays the first answer for a repeated idempotency key.
    key = request.headers.get("Idempotency-Key")
    if key and key in SESSIONS:
        return web.json_response(SESSIONS[key])
    SESSIONS[key or checkout_id] = body
    return web.json_response(body)


_charge_init = resources.Charge.__init__


def charge_with_receipt(self, *args, **kwargs):
    # Stripe gives every charge a page of its own receipt; localstripe leaves it out.
    _charge_init(self, *args, **kwargs)
    self.receipt_url = f"https://pay.stripe.com/receipts/payment/{self.id}"


resources.Charge.__init__ = charge_with_receipt
server.app.router.add_post("/v1/checkout/sessions", create_checkout_session)

if __name__ == "__main__":
    server.start()
