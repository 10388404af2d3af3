"""The game client: fetches and caches mods by hash, follows the server's game in lockstep."""
