from allauth.socialaccount.providers.naver.views import NaverOAuth2Adapter
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView

from ..endpoints import Endpoint


class NaverAdapter(NaverOAuth2Adapter):
    authorize_url = Endpoint(NaverOAuth2Adapter.authorize_url)
    access_token_url = Endpoint(NaverOAuth2Adapter.access_token_url)
    profile_url = Endpoint(NaverOAuth2Adapter.profile_url)


oauth2_login = OAuth2LoginView.adapter_view(NaverAdapter)
oauth2_callback = OAuth2CallbackView.adapter_view(NaverAdapter)
