# Dockerfile: Glasplade's server (`glasplade`) and department simulator (`deptsim`) in one image.
#
#   docker build -t glasplade:local .
#   docker run --rm -e GLASPLADE_DATABASE_URL=postgresql://... \
#       -v /etc/glasplade/tls:/tls:ro -e GLASPLADE_TLS_CERT=/tls/cert.pem \
#       -e GLASPLADE_TLS_KEY=/tls/key.pem -p 8443:8080 glasplade:local
#
# The server listens on 0.0.0.0 in the container, which `glasplade serve` refuses in plain HTTP:
# give it a certificate and key (HTTPS, TLS 1.2+), or GLASPLADE_PLAIN_HTTP=1 when a
# TLS-terminating edge (the production topology's proxy) is the only way in.
#
# Three stages: a Debian bookworm builder compiles a Release build; a Node stage installs the npm
# packages exactly as package-lock.json pins them (npm ci, no install scripts) for the one thing
# the image needs of them, the design system the page is drawn with (DKFDS: its css/, fonts/ and
# img/); the runtime stage has only the shared libraries the binaries link against, the page
# (web/) and DKFDS's files under /usr/local/share/glasplade (GLASPLADE_WEB_DIR and
# GLASPLADE_WEB_VENDOR_DIR point there; no Node), and runs as the unprivileged user `glasplade`.
# The default command is `glasplade serve`; `glasplade migrate` and the `deptsim` entrypoint are
# used by docker-compose.yml. Migrations and the OpenAPI document are built into the binary.

FROM debian:bookworm-slim AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config \
        libmicrohttpd-dev libjansson-dev libpq-dev libcurl4-openssl-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DGP_TESTS=OFF \
    && cmake --build build -j"$(nproc)" \
    && strip build/glasplade build/cmd/deptsim/deptsim

FROM node:22-bookworm-slim AS web
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libmicrohttpd12 libjansson4 libpq5 libcurl4 libssl3 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --no-create-home --shell /usr/sbin/nologin glasplade
COPY --from=build /src/build/glasplade /src/build/cmd/deptsim/deptsim /usr/local/bin/
# The page and its design system (read once when the server starts; served at / and /web/).
COPY web/ /usr/local/share/glasplade/web/
COPY --from=web /src/node_modules/dkfds/dist/css/ /usr/local/share/glasplade/dkfds/css/
COPY --from=web /src/node_modules/dkfds/dist/fonts/ /usr/local/share/glasplade/dkfds/fonts/
COPY --from=web /src/node_modules/dkfds/dist/img/ /usr/local/share/glasplade/dkfds/img/
COPY --from=web /src/node_modules/dkfds/dist/LICENSE.md /usr/local/share/glasplade/dkfds/
USER glasplade
ENV GLASPLADE_LISTEN=0.0.0.0 \
    GLASPLADE_PORT=8080 \
    GLASPLADE_WEB_DIR=/usr/local/share/glasplade/web \
    GLASPLADE_WEB_VENDOR_DIR=/usr/local/share/glasplade/dkfds
EXPOSE 8080
# A liveness probe from inside the container: whether the certificate verifies is not its question.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD if [ -n "$GLASPLADE_TLS_CERT" ]; then scheme=https; else scheme=http; fi; \
        curl -fsSk "$scheme://127.0.0.1:${GLASPLADE_PORT}/healthz" >/dev/null || exit 1
ENTRYPOINT ["glasplade"]
CMD ["serve"]
