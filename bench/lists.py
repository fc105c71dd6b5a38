"""Benchmark: portal and API list pages under 20 concurrent clients, served by gunicorn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm_bench .venv/bin/python bench/lists.py

Uses the registrations loaded by bench/conflicts.py (1,000,000 over 10,000 partners; run it
first). Starts gunicorn on 127.0.0.1 (production settings, --workers), signs in a partner user
of a bench partner (about 100 registrations) through the API and through the portal, then loads
each page with wrk (Debian package `wrk`: --clients connections for --seconds) and reports
p50/p95 per page. Without wrk it falls back to Python threads, which compete with the server
for the same two cores and so measure it slower. Target (DESIGN.md): p95 under 150 ms at 20
concurrent clients.
"""

import argparse
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm_bench")
PASSWORD = "bench-Password-2026"


def prepare_user() -> str:
    import django

    django.setup()
    from allauth.account.models import EmailAddress

    from partners.models import Partner, User
    from prm.scoping import scopes_disabled

    with scopes_disabled():
        partner = Partner.objects.filter(name__startswith="Bench Partner").order_by("id").first()
        if partner is None:
            sys.exit("Run bench/conflicts.py first: it loads the registrations this benchmark lists.")
        user = User.objects.filter(email="bench-rep@example.com").first()
        if user is None:
            user = User.objects.create_user(
                email="bench-rep@example.com", password=PASSWORD, partner=partner, role="partner_rep"
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        print(f"partner {partner.name}: {partner.deals.count()} registrations")
    return user.email


def request(opener, url, data=None, headers=None, cookies=None):
    """One request; ``cookies`` (a dict) is sent and updated by hand, because the production
    settings mark cookies Secure and this benchmark talks plain HTTP to gunicorn, as a TLS proxy
    would (with X-Forwarded-Proto: https)."""
    headers = dict(headers or {})
    if cookies is not None:
        headers["X-Forwarded-Proto"] = "https"
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        response = opener.open(req, timeout=30)
    except urllib.error.HTTPError as redirect:  # redirects are not followed: read their cookies
        if redirect.code not in (301, 302, 303):
            raise
        response = redirect
    with response:
        if cookies is not None:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                cookies[name] = rest.split(";", 1)[0]
        return response.status, response.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("REPORT %d %d %.1f %.1f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.timeout))
end
"""


def wrk(label, url, headers, cookies, args) -> None:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_REPORT)
    command = ["wrk", "-t", "2", "-c", str(args.clients), "-d", f"{args.seconds}s", "-s", str(script), url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if cookies:
        command += [
            "-H",
            "X-Forwarded-Proto: https",
            "-H",
            "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()),
        ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    count, duration_us, p50, p95, errors = re.search(r"REPORT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", output).groups()
    rate = int(count) / (int(duration_us) / 1e6)
    print(
        f"{label:28} p50 {float(p50):6.1f} ms  p95 {float(p95):6.1f} ms  {rate:5.0f} req/s  errors {errors}  "
        f"{'met' if float(p95) < 150 else 'NOT met'}"
    )
    script.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()

    email = prepare_user()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SITE_URL": f"http://127.0.0.1:{args.port}",
        "CACHE_URL": "redis://127.0.0.1:6379/14",
    }
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "prm.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:  # not listening yet, or still booting
                time.sleep(0.2)
        plain = urllib.request.build_opener(NoRedirect)
        _, body = request(
            plain,
            base + "/api/v1/auth/token/",
            data=f'{{"email":"{email}","password":"{PASSWORD}"}}'.encode(),
            headers={"Content-Type": "application/json"},
        )
        token = re.search(rb'"token":"(\w+)"', body).group(1).decode()
        cookies: dict[str, str] = {}
        _, page = request(plain, base + "/accounts/login/", cookies=cookies)
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "login": email, "password": PASSWORD}).encode()
        secure_origin = base.replace("http://", "https://")
        request(
            plain,
            base + "/accounts/login/",
            data=form,
            cookies=cookies,
            headers={
                "Referer": secure_origin + "/accounts/login/",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert "sessionid" in cookies, "the portal sign-in failed"

        pages = [
            ("API GET /api/v1/deals/", "/api/v1/deals/", {"Authorization": f"Token {token}"}, None),
            ("API GET /api/v1/partners/", "/api/v1/partners/", {"Authorization": f"Token {token}"}, None),
            ("portal /portal/deals/", "/portal/deals/", {}, cookies),
            ("portal /portal/", "/portal/", {}, cookies),
        ]
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"gunicorn {args.workers} workers; {args.clients} concurrent clients "
            f"({f'wrk, {args.seconds} s per page' if shutil.which('wrk') else f'{args.requests} requests per page'})"
        )
        for label, path, headers, jar in pages:
            request(plain, base + path, headers=headers, cookies=jar)  # warm
            if shutil.which("wrk"):
                wrk(label, base + path, headers, jar, args)
                continue
            timings, errors, lock = [], [], threading.Lock()
            per_client = args.requests // args.clients

            def client():
                for _ in range(per_client):
                    started = time.perf_counter()
                    try:
                        status, _ = request(plain, base + path, headers=headers, cookies=dict(jar) if jar else None)
                        ok = status == 200
                    except urllib.error.URLError as error:
                        ok = False
                        errors.append(str(error))
                    with lock:
                        if ok:
                            timings.append((time.perf_counter() - started) * 1000)

            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            wall = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - wall
            timings.sort()
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(
                f"{label:28} p50 {statistics.median(timings):6.1f} ms  p95 {p95:6.1f} ms  "
                f"{len(timings) / wall:5.0f} req/s  errors {len(errors)}  {'met' if p95 < 150 else 'NOT met'}"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
