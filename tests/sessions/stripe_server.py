"""localstripe with Checkout sessions added: Stripe's API on 127.0.0.1 for the tests.

localstripe has no Checkout, no receipt pages and only card and SEPA payment methods; this
answers `POST /v1/checkout/sessions` and `GET /v1/checkout/sessions/<id>` the way Stripe does
(from a recorded response shape, with the payment methods asked for, or the Dashboard's when
none are: dynamic payment methods), serves a Checkout page of its own where a browser pays with
one of them, gives every charge the `receipt_url` and `payment_method_details` Stripe gives it,
takes Korea's payment methods (kr_card, kakao_pay, naver_pay, payco, samsung_pay), and leaves
everything else to localstripe.

Korean methods redirect to the customer's wallet or card company and are confirmed here the
asynchronous way (checkout.session.completed unpaid, then async_payment_succeeded), the path
that needs proving; cards complete at once. Webhooks go where `POST /_config/webhooks/<id>`
(localstripe's own) says, signed with its secret; `DELETE` takes one off again.
Run: python tests/sessions/stripe_server.py --port N --from-scratch
"""

import asyncio
import html
import uuid

from aiohttp import web
from localstripe import resources, server, webhooks

KOREAN_METHODS = ("kr_card", "kakao_pay", "naver_pay", "payco", "samsung_pay")
# What the Dashboard has switched on, for a checkout that names no methods.
DASHBOARD_METHODS = {"krw": ["card", *KOREAN_METHODS], "usd": ["card"]}
NAMES = {
    "en": {
        "card": "Card",
        "kr_card": "Korean card",
        "kakao_pay": "Kakao Pay",
        "naver_pay": "Naver Pay",
        "payco": "PAYCO",
        "samsung_pay": "Samsung Pay",
    },
    "ko": {
        "card": "카드",
        "kr_card": "국내 카드",
        "kakao_pay": "카카오페이",
        "naver_pay": "네이버페이",
        "payco": "페이코",
        "samsung_pay": "삼성페이",
    },
}
PAGE_TEXT = {
    "en": {"title": "Test checkout", "legend": "Pay with", "pay": "Pay"},
    "ko": {"title": "테스트 결제", "legend": "결제 수단", "pay": "결제하기"},
}

SESSIONS = {}  # by idempotency key
BY_ID = {}


class _Exported:
    """A checkout session as localstripe's Event wants its object."""

    def __init__(self, body):
        self._body = body

    def _export(self, **kwargs):
        return dict(self._body)


async def create_checkout_session(request):
    data = server.unflatten_data(await request.post())
    # Stripe replays the first answer for a repeated idempotency key.
    key = request.headers.get("Idempotency-Key")
    if key and key in SESSIONS:
        return web.json_response(SESSIONS[key])
    checkout_id = f"cs_test_{uuid.uuid4().hex}"
    price = data["line_items"][0]["price_data"]
    currency = price.get("currency", "usd")
    asked = data.get("payment_method_types")
    refused = _refused(asked or [], currency, int(price.get("unit_amount", "0")))
    if refused:
        return web.json_response(
            {"error": {"type": "invalid_request_error", "message": refused}}, status=400
        )
    body = {
        "id": checkout_id,
        "object": "checkout.session",
        "mode": data.get("mode", "payment"),
        "status": "open",
        "payment_status": "unpaid",
        "amount_total": int(price.get("unit_amount", "0")),
        "currency": currency,
        "locale": data.get("locale"),
        "client_reference_id": data.get("client_reference_id"),
        "metadata": data.get("metadata", {}),
        "success_url": data.get("success_url"),
        "cancel_url": data.get("cancel_url"),
        "payment_method_types": list(asked or DASHBOARD_METHODS.get(currency, ["card"])),
        # Set when Stripe chose the methods itself (dynamic payment methods).
        "payment_method_configuration_details": (
            None if asked else {"id": "pmc_dashboard", "parent": None}
        ),
        "url": f"http://{request.host}/c/pay/{checkout_id}",
        "payment_intent": None,
    }
    SESSIONS[key or checkout_id] = body
    BY_ID[checkout_id] = body
    return web.json_response(body)


def _refused(methods, currency, amount):
    """Stripe's answer to Korean methods asked for outside their limits (its docs' numbers)."""
    for method in methods:
        if method not in KOREAN_METHODS:
            continue
        if currency != "krw":
            return f"The payment method `{method}` takes only krw, not {currency}."
        if amount < 100 or (method == "samsung_pay" and amount > 2_000_000):
            return f"The payment method `{method}` does not take an amount of {amount} krw."
    return ""


async def retrieve_checkout_session(request):
    body = BY_ID.get(request.match_info["id"])
    if body is None:
        return web.json_response({"error": {"message": "No such checkout.session"}}, status=404)
    return web.json_response(body)


def _page(body, language):
    text = PAGE_TEXT[language]
    options = "".join(
        f'<p><input type="radio" name="method" value="{m}" id="m-{m}"{" checked" * (i == 0)}>'
        f'<label for="m-{m}">{html.escape(NAMES[language].get(m, m))}</label></p>'
        for i, m in enumerate(body["payment_method_types"])
    )
    amount = (
        f"₩{body['amount_total']:,}"
        if body["currency"] == "krw"
        else (f"${body['amount_total'] / 100:,.2f}")
    )
    return (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{text['title']}</title></head><body><main><h1>{text['title']}</h1>"
        f'<p data-amount>{amount}</p><form method="post"><fieldset>'
        f"<legend>{text['legend']}</legend>{options}</fieldset>"
        f'<button type="submit">{text["pay"]}</button></form></main></body></html>'
    )


async def checkout_page(request):
    body = BY_ID.get(request.match_info["id"])
    if body is None:
        raise web.HTTPNotFound()
    language = "ko" if body.get("locale") == "ko" else "en"
    if request.method == "GET":
        return web.Response(text=_page(body, language), content_type="text/html")
    method = (await request.post()).get("method")
    if method not in body["payment_method_types"]:
        raise web.HTTPBadRequest()
    _pay(body, method)
    raise web.HTTPSeeOther(body["success_url"])


def _pay(body, method):
    """The customer paid with `method`: a PaymentIntent, and the events Stripe sends."""
    if method == "card":
        payment_method = "pm_card_visa"
    else:
        payment_method = resources.PaymentMethod._api_create(type=method).id
    intent = resources.PaymentIntent._api_create(
        amount=body["amount_total"],
        currency=body["currency"],
        payment_method=payment_method,
        confirm=True,
    )
    body.update(status="complete", payment_intent=intent.id)
    if method == "card":
        body["payment_status"] = "paid"
        webhooks.schedule_webhook(resources.Event("checkout.session.completed", _Exported(body)))
        return
    webhooks.schedule_webhook(resources.Event("checkout.session.completed", _Exported(body)))

    def confirmed():
        body["payment_status"] = "paid"
        event = resources.Event("checkout.session.async_payment_succeeded", _Exported(body))
        webhooks.schedule_webhook(event)

    asyncio.get_event_loop().call_later(2, confirmed)


_payment_method_init = resources.PaymentMethod.__init__


def payment_method_of_any_kind(self, type=None, **kwargs):
    # Korea's methods carry no details of their own: the customer confirms in their wallet.
    if type not in KOREAN_METHODS:
        _payment_method_init(self, type=type, **kwargs)
        return
    resources.StripeObject.__init__(self)
    self.type = type
    setattr(self, type, {})
    self.billing_details = kwargs.get("billing_details") or {}
    self.customer = None
    self.metadata = kwargs.get("metadata") or {}


_charge_init = resources.Charge.__init__


def charge_with_receipt(self, *args, **kwargs):
    # Stripe gives every charge a page of its own receipt and says how it was paid;
    # localstripe leaves both out.
    _charge_init(self, *args, **kwargs)
    self.receipt_url = f"https://pay.stripe.com/receipts/payment/{self.id}"
    method = resources.PaymentMethod._api_retrieve(self.payment_method)
    self.payment_method_details = {"type": method.type, method.type: {}}


async def remove_webhook(request):
    webhooks._webhooks.pop(request.match_info["id"], None)
    return web.Response()


@web.middleware
async def checkout_pages_open(request, handler):
    # The customer's browser reaches Checkout pages without an API key, as on Stripe.
    if request.path.startswith("/c/pay/"):
        return await handler(request)
    return await server.auth_middleware(request, handler)


server.app.middlewares[server.app.middlewares.index(server.auth_middleware)] = checkout_pages_open
resources.PaymentMethod.__init__ = payment_method_of_any_kind
resources.Charge.__init__ = charge_with_receipt
server.app.router.add_post("/v1/checkout/sessions", create_checkout_session)
server.app.router.add_get("/v1/checkout/sessions/{id}", retrieve_checkout_session)
server.app.router.add_route("*", "/c/pay/{id}", checkout_page)
server.app.router.add_delete("/_config/webhooks/{id}", remove_webhook)

if __name__ == "__main__":
    server.start()
