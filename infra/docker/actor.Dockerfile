# syntax=docker/dockerfile:1
# Actor image: headless StarCraft II (Linux package + map packs) and starleague on CPU torch.
#
# Build from the repository root (the EULA argument is your acceptance of the Blizzard
# StarCraft II AI and Machine Learning License, see infra/docker/install-sc2.sh):
#   docker build -f infra/docker/actor.Dockerfile \
#     --build-arg SC2_VERSION=4.10 --build-arg ACCEPT_EULA=iagreetotheeula \
#     -t starleague-actor:latest .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Stage 1: download and unpack the game; curl/unzip stay out of the final image.
FROM ${PYTHON_IMAGE} AS sc2
ARG SC2_VERSION=4.10
ARG ACCEPT_EULA
ARG SC2_SHA256=
ARG SC2_MAP_PACKS="Melee Ladder2019Season3"
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl unzip \
 && rm -rf /var/lib/apt/lists/*
COPY infra/docker/install-sc2.sh /usr/local/bin/install-sc2
RUN SC2_VERSION="$SC2_VERSION" ACCEPT_EULA="$ACCEPT_EULA" SC2_SHA256="$SC2_SHA256" \
    SC2_MAP_PACKS="$SC2_MAP_PACKS" sh /usr/local/bin/install-sc2 /opt/StarCraftII

# Stage 2: the runtime.
FROM ${PYTHON_IMAGE}
ARG SC2_VERSION=4.10
# Actors run inference on CPU: the CPU wheel is ~10x smaller than the CUDA one.
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# SC2_x64 links only against glibc and the C++ runtime.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libstdc++6 libgcc-s1 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 --shell /usr/sbin/nologin starleague
COPY --from=sc2 --chown=10001:10001 /opt/StarCraftII /opt/StarCraftII

ENV SC2PATH=/opt/StarCraftII \
    PYTHONUNBUFFERED=1

WORKDIR /opt/starleague
COPY pyproject.toml README.md ./
COPY starleague ./starleague
COPY sc2env ./sc2env
COPY agent ./agent
COPY league ./league
COPY protos ./protos
COPY bench ./bench
RUN pip install --no-cache-dir --index-url "$TORCH_INDEX_URL" "torch==$TORCH_VERSION" \
 && pip install --no-cache-dir .
# Fail the build unless starleague itself finds the game and the maps.
RUN starleague doctor --json > /tmp/doctor.json \
 && python -c "import json, sys; s = {c['name']: c['status'] for c in json.load(open('/tmp/doctor.json'))}; sys.exit(0 if s['sc2 binary'] == s['maps'] == 'ok' else 'starleague doctor: %s' % s)" \
 && rm /tmp/doctor.json

LABEL org.opencontainers.image.title="starleague-actor" \
      io.starleague.sc2-version="${SC2_VERSION}"
USER 10001:10001
WORKDIR /home/starleague
ENTRYPOINT ["starleague"]
# `docker run IMAGE` checks the game, the maps and the install; the manifests pass
# `actor --learner ... --league ...` instead.
CMD ["doctor"]
