# The riscade server: Debian 12 with Python 3.11, the mod toolchain (Zig from PyPI, Nim and
# bubblewrap from Debian), the game page's assets (Pyodide, wheels), riscade installed.
#   docker build -t riscade .
#   docker run -p 8765:8765 -v riscade-world:/data --security-opt seccomp=unconfined riscade
# (the mods are built when the server starts, each compile inside bubblewrap, which creates
# namespaces: Docker's default seccomp profile forbids that; see docker-compose.yml.)
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RISCADE_SERVER_ONLY=1 \
    XDG_CACHE_HOME=/data/cache

WORKDIR /riscade
COPY . .
# scripts/install.sh: apt packages, pip install -e ., npm ci of the pinned Pyodide, wheels
# (RISCADE_SERVER_ONLY: without the test and benchmark tools).
RUN bash scripts/install.sh && rm -rf /var/lib/apt/lists/* /root/.npm

# The world file (the mods' storage is in it), the build cache and Zig's cache live in /data.
VOLUME ["/data"]
EXPOSE 8765
# SIGTERM (docker stop): the server saves the world, says why to every client, exits 0
# within 5 s.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=600s --retries=3 \
    CMD ["python", "-c", "import json, sys, urllib.request; s = json.load(urllib.request.urlopen('http://127.0.0.1:8765/status', timeout=2)); sys.exit(0 if s['running'] else 1)"]

# Options beyond these come from /riscade/riscade.toml (mount one: riscade.example.toml
# lists them all) or from flags appended to `docker run ... riscade`.
ENTRYPOINT ["riscade", "serve"]
CMD ["--host", "0.0.0.0", "--port", "8765", "--world", "/data/world.db", \
     "--cache", "/data/cache/build"]
