# Production image: `tenfour web|worker|scheduler|db upgrade`, configured only by environment variables.
# Build stage makes wheels (with a compiler at hand in case a platform lacks a binary wheel);
# the runtime stage installs them and carries no build tools.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN pip wheel --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TENFOUR_INSTANCE_DIR=/var/lib/tenfour \
    HOST=0.0.0.0 \
    PORT=8000
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels tenfour \
 && rm -rf /wheels \
 && useradd --system --uid 10001 --create-home --home-dir /home/tenfour tenfour \
 && install -d -o tenfour -g tenfour -m 0700 /var/lib/tenfour
USER tenfour
WORKDIR /home/tenfour
VOLUME ["/var/lib/tenfour"]
EXPOSE 8000
ENTRYPOINT ["tenfour"]
CMD ["web"]
