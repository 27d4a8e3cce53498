# vendorsim: sandbox HTTP server emulating vendor APIs (Whippy, Zipwhip, Whereby).
#
#   docker build --build-arg VERSION="$(git describe --always --dirty)" -t vendorsim:local .
#   docker run --rm -p 8080:8080 -v vendorsim-data:/data vendorsim:local

# ---- build stage -----------------------------------------------------------
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build

ARG TARGETOS
ARG TARGETARCH

WORKDIR /src

# Modules in their own layer: it is rebuilt only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .

ARG VERSION=dev
ENV CGO_ENABLED=0
RUN GOOS=${TARGETOS} GOARCH=${TARGETARCH} CGO_ENABLED=0 \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/vendorsim ./cmd/vendorsim

# The data directory, owned by the distroless "nonroot" user, so that a named
# volume mounted at /data starts out writable by that user.
RUN mkdir -p /data && chown 65532:65532 /data && chmod 0755 /data

# ---- final stage -----------------------------------------------------------
FROM gcr.io/distroless/static-debian12:nonroot

ARG VERSION=dev
LABEL org.opencontainers.image.title="vendorsim" \
      org.opencontainers.image.description="Sandbox HTTP server emulating vendor APIs (Whippy, Zipwhip, Whereby) for integration tests" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian12:nonroot"

COPY --from=build /out/vendorsim /usr/local/bin/vendorsim
COPY --from=build --chown=65532:65532 /data /data
COPY examples/vendorsim.yaml /etc/vendorsim/vendorsim.yaml

ENV VENDORSIM_ADDR=:8080 \
    VENDORSIM_DB=/data/vendorsim.db \
    VENDORSIM_CONFIG=/etc/vendorsim/vendorsim.yaml \
    VENDORSIM_LOG_FORMAT=json

EXPOSE 8080
VOLUME /data
WORKDIR /data
USER 65532:65532

HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=5 \
    CMD ["/usr/local/bin/vendorsim", "healthcheck"]

ENTRYPOINT ["/usr/local/bin/vendorsim"]
