"""A stand-in for Kakao's and Naver's OAuth servers on 127.0.0.1, for the sign-in tests.

It answers what the real ones answer, in their shapes: the authorize page (which redirects
back with a code, or with `error=access_denied` when the person declines), the token endpoint
and the profile endpoint. Each provider's profile is what the test sets in `profiles`; by
default it also carries items the site must never keep (birthday, gender, phone, picture).
"""

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

# What the site must not keep, planted in every default profile.
PLANTED = {
    "birthday": "0521",
    "birthyear": "1990",
    "gender": "female",
    "age_range": "30~39",
    "phone_number": "+82 10-1234-5678",
    "profile_image": "https://img.example/planted-face.jpg",
    "legal_name": "김planted",
}


def kakao_profile(uid=4242, email="minji@kakao.example", nickname="민지", verified=True):
    return {
        "id": uid,
        "connected_at": "2026-12-01T09:00:00Z",
        "properties": {"nickname": nickname, "profile_image": PLANTED["profile_image"]},
        "kakao_account": {
            "profile_nickname_needs_agreement": False,
            "profile": {
                "nickname": nickname,
                "profile_image_url": PLANTED["profile_image"],
                "is_default_image": False,
            },
            "has_email": True,
            "email_needs_agreement": False,
            "is_email_valid": True,
            "is_email_verified": verified,
            "email": email,
            "birthday": PLANTED["birthday"],
            "birthyear": PLANTED["birthyear"],
            "gender": PLANTED["gender"],
            "age_range": PLANTED["age_range"],
            "phone_number": PLANTED["phone_number"],
            "name": PLANTED["legal_name"],
        },
    }


def naver_profile(uid="nv-77", email="jisoo@naver.example", nickname="지수"):
    return {
        "id": uid,
        "email": email,
        "nickname": nickname,
        "name": PLANTED["legal_name"],
        "profile_image": PLANTED["profile_image"],
        "gender": "F",
        "age": PLANTED["age_range"],
        "birthday": "05-21",
        "birthyear": PLANTED["birthyear"],
        "mobile": PLANTED["phone_number"],
    }


PATHS = {
    "kakao": {"authorize": "/oauth/authorize", "token": "/oauth/token", "profile": "/v2/user/me"},
    "naver": {
        "authorize": "/oauth2.0/authorize",
        "token": "/oauth2.0/token",
        "profile": "/v1/nid/me",
    },
}


class StandIn:
    def __init__(self):
        self.profiles = {"kakao": kakao_profile(), "naver": naver_profile()}
        self.deny = False  # the person presses "cancel" on the consent screen
        self.clients = {"kakao": ("kakao-client", ""), "naver": ("naver-client", "naver-secret")}
        self.authorize_requests = []
        self._codes = {}
        self._tokens = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def urls(self, provider):
        paths = PATHS[provider]
        return {
            "authorize_url": f"{self.base}/{provider}{paths['authorize']}",
            "access_token_url": f"{self.base}/{provider}{paths['token']}",
            "profile_url": f"{self.base}/{provider}{paths['profile']}",
        }

    def start(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    # --- what each endpoint answers ---------------------------------------------------------

    def authorize(self, provider, query):
        self.authorize_requests.append((provider, query))
        back = query["redirect_uri"]
        if query.get("client_id") != self.clients[provider][0]:
            return 400, {"error": "invalid_client"}, None
        if self.deny:
            answer = {"error": "access_denied", "error_description": "User denied access"}
        else:
            code = secrets.token_urlsafe(12)
            self._codes[code] = (provider, back)
            answer = {"code": code}
        answer["state"] = query.get("state", "")
        return 302, None, f"{back}?{urlencode(answer)}"

    def token(self, provider, form):
        client_id, secret = self.clients[provider]
        issued = self._codes.pop(form.get("code", ""), None)
        if form.get("client_id") != client_id or form.get("client_secret", "") != secret:
            return 401, {"error": "invalid_client"}, None
        if issued is None or issued != (provider, form.get("redirect_uri")):
            return 400, {"error": "invalid_grant"}, None
        token = secrets.token_urlsafe(16)
        self._tokens[token] = provider
        answer = {"access_token": token, "token_type": "bearer", "refresh_token": "r-" + token}
        # Kakao gives seconds as a number, Naver as a string.
        answer["expires_in"] = 21599 if provider == "kakao" else "3600"
        return 200, answer, None

    def profile(self, provider, authorization):
        token = authorization.removeprefix("Bearer ")
        if self._tokens.get(token) != provider:
            return 401, {"msg": "this access token does not exist", "code": -401}, None
        profile = self.profiles[provider]
        if provider == "naver":
            return 200, {"resultcode": "00", "message": "success", "response": profile}, None
        return 200, profile, None

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _route(self):
                url = urlsplit(self.path)
                provider, _, rest = url.path.lstrip("/").partition("/")
                return provider, "/" + rest, {k: v[0] for k, v in parse_qs(url.query).items()}

            def _answer(self, status, body, location):
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                payload = json.dumps(body).encode() if body is not None else b""
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                provider, path, query = self._route()
                paths = PATHS.get(provider, {})
                if path == paths.get("authorize"):
                    return self._answer(*standin.authorize(provider, query))
                if path == paths.get("profile"):
                    auth = self.headers.get("Authorization", "")
                    return self._answer(*standin.profile(provider, auth))
                return self._answer(404, {"error": "not_found"}, None)

            def do_POST(self):
                provider, path, _ = self._route()
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if path == PATHS.get(provider, {}).get("token"):
                    return self._answer(*standin.token(provider, form))
                return self._answer(404, {"error": "not_found"}, None)

        return Handler


def provider_settings(base_settings, standin):
    """SOCIALACCOUNT_PROVIDERS with both providers configured and pointed at the stand-in."""
    configured = {}
    for provider, value in base_settings.items():
        client_id, secret = standin.clients[provider]
        configured[provider] = {
            **value,
            "APPS": [{"client_id": client_id, "secret": secret}],
            "URLS": standin.urls(provider),
        }
    return configured
