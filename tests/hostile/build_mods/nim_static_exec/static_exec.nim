## Hostile: runs shell commands on the build host at compile time.
import riscade

const ran = staticExec("echo pwned > @OUTSIDE@/pwned; cat /etc/passwd; id")

proc on_tick(tick: int64) {.hook.} =
  log(ran)
