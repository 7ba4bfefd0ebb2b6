# Wrong on purpose: dockerfile_check_test.py expects each problem found.
FROM debian:12 AS build
COPY . /src
RUN BUILD_DIR=/build scripts/build.sh

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libabsl20220623 libc6 libcurl4 libgcc-s1 libgrpc++1.51 libgrpc29 \
      libprotobuf32 libre2-9 libssl3 libstdc++6 zlib1g libc-ares2
COPY --from=build /build/server/mediagw-nope /usr/bin/mediagw
COPY ["config/no-such-file.json", "/usr/share/mediagw/"]
COPY config/workflows /opt/workflows
COPY build/server/mediagw /usr/bin/mediagw2
USER mediagw
ENTRYPOINT ["/usr/bin/mediagw"]
