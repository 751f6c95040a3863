# syntax=docker/dockerfile:1
# Learner image: starleague on the official CUDA PyTorch image (also runs league,
# TensorBoard and eval: everything but the game).
#
# Build from the repository root:
#   docker build -f infra/docker/learner.Dockerfile -t starleague-learner:latest .

# Any CUDA build of torch>=2.3,<3 works; this tag ships Python 3.11.
ARG PYTORCH_IMAGE=pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime
FROM ${PYTORCH_IMAGE}

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin starleague

WORKDIR /opt/starleague
COPY pyproject.toml README.md ./
COPY starleague ./starleague
COPY sc2env ./sc2env
COPY agent ./agent
COPY league ./league
COPY protos ./protos
COPY bench ./bench
# pip keeps the image's torch (it satisfies the range); the check proves the CUDA build
# survived the install.
RUN pip install --no-cache-dir . \
 && python -c "import sys, torch; sys.exit(0 if torch.version.cuda else 'torch lost its CUDA build')" \
 && starleague --help >/dev/null

ENV PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /home/starleague
ENTRYPOINT ["starleague"]
# The manifests pass the role: learner, league serve, eval, or `tensorboard` as the command.
CMD ["--help"]
