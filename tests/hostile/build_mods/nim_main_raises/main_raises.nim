## Raises ValueError from its top-level code (its main), after one log line.
import riscade

proc on_tick(tick: int64) {.hook.} =
  log("tick " & $tick)

log("before")
raise newException(ValueError, "bad start")
