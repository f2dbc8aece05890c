# The Legami image: one image for web (gunicorn), worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=legami.settings \
    LEGAMI_VAR_DIR=/var/lib/legami \
    STATIC_ROOT=/app/staticfiles

RUN apt-get update \
    && apt-get install -y --no-install-recommends curl fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /home/legami legami

WORKDIR /app
COPY pyproject.toml README.md ./
COPY legami ./legami
COPY partners ./partners
COPY beneficiaries ./beneficiaries
COPY pacts ./pacts
COPY labs ./labs
COPY civic_center ./civic_center
COPY research ./research
COPY fundraising ./fundraising
COPY reports ./reports
RUN pip install .
COPY manage.py ./
COPY templates ./templates
COPY static ./static
COPY locale ./locale

# Static files are collected at build time; the build needs a throw-away key only.
RUN mkdir -p /var/lib/legami \
    && SECRET_KEY=build-only-not-secret-build-only-not-secret-build-only \
       ALLOWED_HOSTS=build DEBUG=false python manage.py collectstatic --noinput \
    && chown -R legami:legami /var/lib/legami

USER legami
EXPOSE 8000
CMD ["gunicorn", "legami.wsgi:application", "--config", "python:legami.gunicorn_conf"]
