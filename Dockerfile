# syntax=docker/dockerfile:1
# Build: docker build -t booking-engine .
# Run:   docker run -p 8080:8080 -v booking-data:/var/lib/booking-engine \
#          -e BOOKING_JWT_SECRET=... booking-engine

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# The manifest names the benches; cargo wants them present even when
# building only the binary.
COPY benches ./benches
RUN cargo build --release --locked --bin booking-engine

FROM debian:bookworm-slim
# tzdata for operators' tools (the binary bundles its own IANA database),
# ca-certificates for outbound TLS, curl for the health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/booking-engine booking \
    && mkdir -p /var/lib/booking-engine \
    && chown booking /var/lib/booking-engine
COPY --from=build /src/target/release/booking-engine /usr/local/bin/booking-engine
COPY config /etc/booking-engine/config
ENV BOOKING_ENV=production \
    BOOKING_CONFIG_DIR=/etc/booking-engine/config \
    BOOKING_DATA_DIR=/var/lib/booking-engine \
    BOOKING_LISTEN=0.0.0.0:8080
VOLUME /var/lib/booking-engine
USER booking
EXPOSE 8080
# SIGTERM: sockets close with 1001, in-flight requests finish, the store syncs.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["booking-engine"]
