import os
import warnings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citywatch.settings")
# WhiteNoise serves static files with synchronous iterators, which Django's ASGI handler consumes in a
# thread; correct, but it warns on every file.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

from citywatch.serving import get_application  # noqa: E402

# Django's ASGI handler with a pool of long-lived request threads (citywatch/serving.py).
django_application = get_application()

from citywatch.core.middleware import BodyLimitASGIMiddleware  # noqa: E402 - needs the apps loaded

# Request bodies over their limit are refused before Django reads (and spools to disk) a byte of them.
application = BodyLimitASGIMiddleware(django_application)
