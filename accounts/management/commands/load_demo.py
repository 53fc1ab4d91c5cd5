from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from sessions_app.models import AddonPrice, Plan, PlanPrice, StylePack

DEMO_PASSWORD = "pictureus-demo"  # noqa: S105 - printed for the local demo only

PLANS = [
    {
        "slug": "starter",
        "name_en": "Starter",
        "name_ko": "스타터",
        "description_en": "Two styles, four portraits each. Perfect for a new profile photo.",
        "description_ko": "스타일 2가지, 스타일마다 4장. 새 프로필 사진이 필요할 때 딱 맞습니다.",
        "styles_count": 2,
        "images_per_style": 4,
        "turnaround_hours": 2,
        "order": 1,
        "prices": {"usd": 1900, "krw": 25000},
        # One more style on the kept model, after delivery.
        "addon_prices": {"usd": 500, "krw": 6500},
    },
    {
        "slug": "signature",
        "name_en": "Signature",
        "name_ko": "시그니처",
        "description_en": "Four styles, eight portraits each, for every place you show up.",
        "description_ko": "스타일 4가지, 스타일마다 8장. 나를 보여 줄 모든 곳을 위해.",
        "styles_count": 4,
        "images_per_style": 8,
        "turnaround_hours": 3,
        "order": 2,
        "prices": {"usd": 3900, "krw": 52000},
        "addon_prices": {"usd": 500, "krw": 6500},
    },
]

STYLES = [
    (
        "studio",
        "Studio headshot",
        "스튜디오 프로필",
        "Soft key light on a seamless grey backdrop.",
        "매끈한 회색 배경에 부드러운 조명.",
        "professional studio headshot of {token} {class_word}, soft key light, grey backdrop",
    ),
    (
        "golden-hour",
        "Golden hour",
        "골든 아워",
        "Warm evening light outdoors.",
        "해 질 녘의 따뜻한 야외 빛.",
        "portrait of {token} {class_word} outdoors at golden hour, warm light, shallow depth",
    ),
    (
        "business",
        "Business",
        "비즈니스",
        "Sharp and confident, ready for your profile.",
        "또렷하고 자신감 있는, 프로필에 바로 쓸 수 있는 사진.",
        "corporate portrait of {token} {class_word} in a modern office, natural light",
    ),
    (
        "film-noir",
        "Film noir",
        "필름 누아르",
        "Black and white with dramatic shadows.",
        "극적인 그림자가 있는 흑백 사진.",
        "black and white film noir portrait of {token} {class_word}, dramatic shadows",
    ),
]

PREVIEW_ALT = {
    "studio": (
        "Illustration of a studio headshot: soft light on a grey backdrop.",
        "스튜디오 프로필 사진 일러스트: 회색 배경에 부드러운 조명.",
    ),
    "golden-hour": (
        "Illustration of an outdoor portrait in warm evening light.",
        "해 질 녘 따뜻한 빛 속 야외 인물 사진 일러스트.",
    ),
    "business": (
        "Illustration of a business portrait: dark jacket, light blue office backdrop.",
        "비즈니스 인물 사진 일러스트: 어두운 재킷, 밝은 하늘색 사무실 배경.",
    ),
    "film-noir": (
        "Illustration of a black and white portrait with dramatic shadows.",
        "극적인 그림자가 드리운 흑백 인물 사진 일러스트.",
    ),
}


class Command(BaseCommand):
    help = "Load the demo catalogue and demo logins (idempotent); prints the logins."

    @transaction.atomic
    def handle(self, *args, **options):
        for data in PLANS:
            data = dict(data)
            prices, addon_prices = data.pop("prices"), data.pop("addon_prices")
            plan, _ = Plan.objects.update_or_create(slug=data.pop("slug"), defaults=data)
            for currency, amount in prices.items():
                PlanPrice.objects.update_or_create(
                    plan=plan, currency=currency, defaults={"amount": amount}
                )
            for currency, amount in addon_prices.items():
                AddonPrice.objects.update_or_create(
                    plan=plan, currency=currency, defaults={"amount": amount}
                )
        for order, (slug, en, ko, desc_en, desc_ko, prompt) in enumerate(STYLES, start=1):
            StylePack.objects.update_or_create(
                slug=slug,
                defaults={
                    "name_en": en,
                    "name_ko": ko,
                    "description_en": desc_en,
                    "description_ko": desc_ko,
                    "prompt_template": prompt,
                    "negative_prompt": "blurry, distorted, extra fingers, watermark, text",
                    "order": order,
                    # The site's drawn sample of the style (never a customer's photo).
                    "preview_image": f"img/samples/{slug}.svg",
                    "preview_alt_en": PREVIEW_ALT[slug][0],
                    "preview_alt_ko": PREVIEW_ALT[slug][1],
                },
            )
        customer = self._user("demo@pictureus.localhost", display_name="Demo Customer")
        operator = self._user(
            "operator@pictureus.localhost",
            display_name="Operator",
            is_staff=True,
            is_superuser=True,
        )
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Logins:"))
        for user in (customer, operator):
            self.stdout.write(f"  {user.email} / {DEMO_PASSWORD}")

    def _user(self, email, **fields):
        user, created = User.objects.get_or_create(email=email, defaults=fields)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user
