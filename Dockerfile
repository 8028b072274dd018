# Production image: gunicorn serves the web app; the same image runs the Celery worker and beat.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /venv && /venv/bin/pip install -r /tmp/requirements.txt

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 pidsvc
COPY --from=build /venv /venv
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=pidsvc.settings \
    PIDSVC_VAR_DIR=/app/var
WORKDIR /app
COPY --chown=pidsvc:pidsvc . .
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && mkdir -p /app/var && chown -R pidsvc:pidsvc /app/var
USER pidsvc
EXPOSE 8000
CMD ["gunicorn", "pidsvc.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
