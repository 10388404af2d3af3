## greeter: welcomes players, tracks how often each one joined, answers chat commands
## (/help, /score, /joins, /top) and announces every MILESTONE points a player reaches.
import std/[strutils, tables]
import riscade

const MILESTONE = 10

var visits = initTable[int64, int]()  ## joins per player id, kept across leaves
var totalJoins = 0

proc name(player: int64): string = "player " & $player

proc on_player_join(player: int64, entity: int64) {.hook.} =
  let n = visits.getOrDefault(player) + 1
  visits[player] = n
  inc totalJoins
  if n == 1:
    send_chat(player, "Welcome, " & name(player) & "! Type /help for commands.")
  else:
    send_chat(player, "Welcome back, " & name(player) & " (visit " & $n & ").")
  send_chat(ALL_PLAYERS, name(player) & " joined (" & $player_count() & " playing)")
  log("join " & $player & " visit " & $n)

proc on_player_leave(player: int64, entity: int64) {.hook.} =
  send_chat(ALL_PLAYERS, name(player) & " left with " & $entity_get_score(entity) & " points")

proc leader(): string =
  var best = NO_PLAYER
  var bestScore = -1'i64
  for i in 0 ..< player_count():
    let p = player_at(i)
    let score = entity_get_score(player_entity(p))
    if score > bestScore:
      best = p
      bestScore = score
  if best == NO_PLAYER: "nobody is playing"
  else: name(best) & " leads with " & $bestScore & " points"

proc on_chat(player: int64, text: string): int64 {.hook.} =
  let line = text.strip()
  case line
  of "/help":
    send_chat(player, "Commands: /score /joins /top")
  of "/score":
    let e = player_entity(player)
    if e == NO_ENTITY: send_chat(player, "You have no entity.")
    else: send_chat(player, "Your score: " & $entity_get_score(e))
  of "/joins":
    send_chat(player, "You joined " & $visits.getOrDefault(player) & " time(s); " &
              $totalJoins & " joins in all.")
  of "/top":
    send_chat(player, leader())
  else:
    return 0
  return 1

proc on_event(kind: int64, a: int64, b: int64) {.hook.} =
  if kind == EVENT_COIN_TAKEN and b > 0 and b mod MILESTONE == 0:
    send_chat(ALL_PLAYERS, name(entity_get_owner(a)) & " reached " & $b & " points!")

echo "greeter: ready"
