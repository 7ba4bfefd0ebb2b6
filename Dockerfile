# mediagw container image.
#
#   docker build -t mediagw:0.1.0 .
#
# The build stage is Debian 12 with the packages scripts/install-deps.sh
# installs; the runtime stage is Debian 12 slim with only the shared
# libraries the binary loads, a non-root user (uid 10001, as the Helm
# chart's securityContext), the workflow templates, the example vendor files
# and the example config in /usr/share/mediagw. tests/docker checks that
# every copied file exists and that the package list covers what ldd
# reports for the binary CI builds.

FROM debian:12 AS build
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN /src/scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . /src
WORKDIR /src
RUN BUILD_DIR=/build BUILD_TYPE=Release MEDIAGW_BUILD_TESTS=OFF TARGETS=mediagw \
      scripts/build.sh \
 && strip /build/server/mediagw

FROM debian:12-slim
# One line per package the binary links directly; their dependencies come
# with them. ca-certificates: TLS to upstreams.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      libabsl20220623 \
      libc-ares2 \
      libc6 \
      libcurl4 \
      libgcc-s1 \
      libgrpc++1.51 \
      libgrpc29 \
      libprotobuf32 \
      libre2-9 \
      libsqlite3-0 \
      libssl3 \
      libstdc++6 \
      zlib1g \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 mediagw \
 && useradd --system --uid 10001 --gid mediagw --no-create-home \
      --home-dir /var/lib/mediagw --shell /usr/sbin/nologin mediagw \
 && install -d -o mediagw -g mediagw -m 0750 /var/lib/mediagw
COPY --from=build /build/server/mediagw /usr/bin/mediagw
COPY config/workflows /usr/share/mediagw/workflows
COPY config/vendors /usr/share/mediagw/vendors
COPY config/mediagw.example.json /usr/share/mediagw/mediagw.example.json
USER 10001:10001
WORKDIR /var/lib/mediagw
# gRPC and HTTP, as server.grpc_listen and server.http_listen.
EXPOSE 50051 8080
ENTRYPOINT ["/usr/bin/mediagw"]
CMD ["--config=/usr/share/mediagw/mediagw.example.json"]
