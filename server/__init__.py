"""The game server: builds and serves the mods, runs the authoritative tick loop."""
