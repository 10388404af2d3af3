## Raises ValueError from on_tick at ticks 1, 4 and 5; logs "tick N" otherwise.
import riscade

proc check(tick: int64) =
  if tick == 1 or tick >= 4:
    raise newException(ValueError, "bad tick " & $tick)

proc on_tick(tick: int64) {.hook.} =
  check(tick)
  log("tick " & $tick)

proc on_chat(player: int64, text: string): int64 {.hook.} =
  if text == "boom":
    raise newException(KeyError, "boom")
  1
