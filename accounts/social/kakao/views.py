from allauth.socialaccount.providers.kakao.views import KakaoOAuth2Adapter
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView

from ..endpoints import Endpoint


class KakaoAdapter(KakaoOAuth2Adapter):
    authorize_url = Endpoint(KakaoOAuth2Adapter.authorize_url)
    access_token_url = Endpoint(KakaoOAuth2Adapter.access_token_url)
    profile_url = Endpoint(KakaoOAuth2Adapter.profile_url)


oauth2_login = OAuth2LoginView.adapter_view(KakaoAdapter)
oauth2_callback = OAuth2CallbackView.adapter_view(KakaoAdapter)
