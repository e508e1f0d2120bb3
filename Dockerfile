# Distill in a container: build with the Swift toolchain, run on slim Debian.
#   docker build -t distill .
#   docker run --rm distill distill-worker --help
# The binaries link the Swift standard library statically (`make dist`), so the runtime image
# needs only libzmq5 and libopenblas0. Both images are Debian 12 (bookworm), so the build's
# libzmq and OpenBLAS match the runtime's.
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends make pkg-config libzmq3-dev libopenblas-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make dist

FROM ${RUNTIME_IMAGE}
# Unpinned on purpose (DL3008): the packages follow Debian stable's security updates.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libzmq5 libopenblas0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /home/distill --create-home --shell /usr/sbin/nologin distill
COPY --from=build /src/dist/distill-coordinator /src/dist/distill-worker /usr/local/bin/
USER 10001:10001
WORKDIR /home/distill
ENV OPENBLAS_NUM_THREADS=1
EXPOSE 5555
CMD ["distill-worker", "--help"]
