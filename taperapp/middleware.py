from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's deny-by-default login check, except for REST framework views.

    API views authenticate themselves (token or session) and deny by default through
    ``DEFAULT_PERMISSION_CLASSES``; a redirect to the login page would break token clients,
    which must get 401 instead.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "cls", None) is not None and hasattr(view_func, "initkwargs"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
