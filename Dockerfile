# The one image of the PRM: web (gunicorn), worker and beat run it with different commands.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint needs Pango and HarfBuzz; PDFs use the installed DejaVu fonts (nothing is fetched).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fontconfig \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 prm
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=prm:prm . .
# collectstatic needs settings that are valid in production; these values are build-time only.
RUN DEBUG=0 SECRET_KEY=build-only-not-secret-collectstatic ALLOWED_HOSTS=build \
    python manage.py collectstatic --no-input \
    && mkdir -p /app/media && chown prm:prm /app/media

USER prm
EXPOSE 8000
CMD ["gunicorn", "prm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
