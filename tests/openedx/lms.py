"""Open edX's own LTI 1.3 platform code as the LMS of Eye's end-to-end LTI test.

lti-consumer-xblock (PyPI, AGPL) is Open edX's LTI consumer; its Django app has the platform's
views (the OIDC ``launch_gate``, ``start_proctoring_assessment``, the public keyset) and models
(``LtiConfiguration``, ``Lti1p3Passport``). This file is the smallest Django site around it, on
SQLite, run only from its own virtualenv (``scripts/openedx.sh``; never imported by Eye). What a
course would do it does through a few ``/harness/`` views: sign a user in, start a proctored
attempt (``LtiStartProctoring``), end it (``LtiEndAssessment``), launch as an instructor. The
platform's ``LTI_1P3_PROCTORING_ASSESSMENT_STARTED`` signal is written to ``started.jsonl``.

    python tests/openedx/lms.py setup --data DIR --lms URL --eye URL   # prints the registration
    python tests/openedx/lms.py serve --data DIR --lms URL --eye URL
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

urlpatterns: list[object] = []  # ROOT_URLCONF is this module; filled in once Django is set up

#: The course block the proctored exam is (an Open edX usage key: the resource link id).
LOCATION = "block-v1:EyeX+Proctored101+2026+type@sequential+block@final_exam"
COURSE = "course-v1:EyeX+Proctored101+2026"


def configure(data: Path, lms: str) -> None:
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="openedx-harness-only",  # noqa: S106  (a throwaway test site)
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
                        "config_models", "lti_consumer"],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                    "django.contrib.auth.middleware.AuthenticationMiddleware"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(data / "openedx.db")}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
                    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]}}],
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        LMS_ROOT_URL=lms, LTI_BASE=lms, LTI_API_BASE=lms, LEARNING_MICROFRONTEND_URL=lms + "/learning",
        PLATFORM_NAME="Open edX (Eye's test LMS)",
        USAGE_ID_PATTERN=r"(?P<usage_id>(?:i4x://?[^/]+/[^/]+/[^/]+/[^@]+(?:@[^/]+)?)|(?:[^/]+))",
        SESSION_COOKIE_NAME="openedx_session",
        STARTED_LOG=str(data / "started.jsonl"),
        OPENEDX_TELEMETRY=[],
    )
    import django

    django.setup()
    global urlpatterns
    urlpatterns = _urls()


def _launch_data(request, message_type: str, role: str, attempt: int | None = None):
    from django.conf import settings
    from django.urls import reverse
    from lti_consumer.data import Lti1p3LaunchData, Lti1p3ProctoringLaunchData
    from lti_consumer.models import LtiConfiguration

    config = LtiConfiguration.objects.get(location=LOCATION)
    proctoring = None
    if attempt is not None:
        start = settings.LMS_ROOT_URL + reverse("lti_consumer:lti_consumer.start_proctoring_assessment_endpoint")
        proctoring = Lti1p3ProctoringLaunchData(attempt_number=attempt, start_assessment_url=start)
    user = request.user
    return Lti1p3LaunchData(
        user_id=user.id, user_role=role, config_id=config.config_id, resource_link_id=LOCATION,
        external_user_id=f"openedx-{user.username}", name=user.get_full_name(), email=user.email,
        preferred_username=user.username, message_type=message_type, context_id=COURSE, context_label="Proctored101",
        context_title="Proctoring 101", proctoring_launch_data=proctoring)


def sign_in(request):
    """``/harness/login?user=NAME``: the user (made if new) is signed in to the LMS."""
    from django.contrib.auth import login
    from django.contrib.auth.models import User
    from django.http import HttpResponse

    name = request.GET["user"]
    user, _ = User.objects.get_or_create(username=name, defaults={
        "email": f"{name}@openedx.test", "first_name": name.title(), "last_name": "Tester"})
    login(request, user)
    return HttpResponse(f"signed in as {name}")


def start_launch(request):
    """``/harness/launch?message=...&attempt=N&role=...``: the LMS starts the LTI launch (the
    OIDC login at the tool) for the signed-in user."""
    from django.http import HttpResponseRedirect
    from lti_consumer.api import get_lti_1p3_launch_start_url

    message = request.GET.get("message", "LtiStartProctoring")
    attempt = int(request.GET["attempt"]) if "attempt" in request.GET else None
    data = _launch_data(request, message, request.GET.get("role", "student"), attempt)
    return HttpResponseRedirect(get_lti_1p3_launch_start_url(data))


def started(request):
    from django.conf import settings
    from django.http import JsonResponse

    path = Path(settings.STARTED_LOG)
    lines = path.read_text().splitlines() if path.exists() else []
    return JsonResponse({"started": [json.loads(line) for line in lines]})


def _record_start(sender, **kwargs):
    from django.conf import settings

    with open(settings.STARTED_LOG, "a") as f:
        f.write(json.dumps({k: v for k, v in kwargs.items() if k != "signal"}, default=str) + "\n")


def _urls():
    from django.urls import include, path

    return [
        path("api/", include("lti_consumer.plugin.urls")),
        path("harness/login", sign_in),
        path("harness/launch", start_launch),
        path("harness/started", started),
    ]


def setup(eye: str) -> dict[str, str]:
    """The database, the proctored exam's LTI configuration pointing at Eye; returns what Eye's
    ``eye lti add-platform`` needs."""
    from django.core.management import call_command
    from lti_consumer.models import Lti1p3Passport, LtiConfiguration
    from opaque_keys.edx.keys import UsageKey

    call_command("migrate", verbosity=0)
    eye = eye.rstrip("/")
    config = LtiConfiguration.objects.filter(location=UsageKey.from_string(LOCATION)).first()
    if config is None:  # with its passport (keys, client id) made here: there is no course block to read
        config = LtiConfiguration.objects.create(
            location=UsageKey.from_string(LOCATION), version=LtiConfiguration.LTI_1P3,
            config_store=LtiConfiguration.CONFIG_ON_DB,
            lti_1p3_passport=Lti1p3Passport.objects.create(name="Eye proctoring", context_key=COURSE))
    config.lti_1p3_oidc_url = eye + "/lti/login"
    config.lti_1p3_launch_url = eye + "/lti/launch"
    passport = config.lti_1p3_passport
    passport.lti_1p3_tool_keyset_url = eye + "/lti/jwks.json"
    passport.save()
    config.lti_1p3_redirect_uris = [eye + "/lti/launch"]
    config.lti_1p3_proctoring_enabled = True
    config.save()
    from django.conf import settings
    from lti_consumer.utils import get_lms_lti_keyset_link, get_lms_lti_launch_link

    # what the platform's own launch-info helper shows an admin (it asks the block for deep linking,
    # which this site has none of); deployment "1" is Open edX's fixed deployment id
    return {"issuer": settings.LTI_API_BASE, "client_id": passport.lti_1p3_client_id, "deployment_id": "1",
            "auth_url": get_lms_lti_launch_link(), "jwks_url": get_lms_lti_keyset_link(passport.passport_id)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["setup", "serve"])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--lms", required=True, help="this LMS's own URL, e.g. http://127.0.0.1:8001")
    parser.add_argument("--eye", required=True, help="Eye's URL")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    configure(args.data, args.lms.rstrip("/"))
    if args.command == "setup":
        print(json.dumps(setup(args.eye)))
        return
    from django.core.management import call_command
    from lti_consumer.signals.signals import LTI_1P3_PROCTORING_ASSESSMENT_STARTED

    LTI_1P3_PROCTORING_ASSESSMENT_STARTED.connect(_record_start)
    port = args.lms.rstrip("/").rsplit(":", 1)[-1]
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)


if __name__ == "__main__":
    main()
