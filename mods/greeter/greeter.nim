## greeter: welcomes players by name, tracks how often each one joined, answers chat
## commands (/score, /joins, /top: registered, so the game's /help lists them), keeps each
## player's score on their HUD, titles the scoreboard, announces every MILESTONE points a
## player reaches (and asks pickups, by message, for a bonus coin near that player), says
## who leads every LEADER_TICKS ticks while anyone plays (a timer), and tells everyone when
## the game disables a mod.
import std/[strutils, tables]
import riscade

const MILESTONE = 10
const LEADER_TICKS = 600  ## 30 s at the server's 20 ticks a second
const LEADER_TIMER = 1    ## the tag of the leader announcement's timer

var visits = initTable[int64, int]()  ## joins per player id, kept across leaves
var totalJoins = 0
var leaderTimer = false   ## the leader announcement's timer is pending

proc name(player: int64): string =
  ## The player's name (player_name), or "player N" if it has none.
  var buf: array[64, char]
  let n = player_name(player, cast[uint64](addr buf[0]), buf.len)
  if n <= 0:
    return "player " & $player
  result = newString(min(n, buf.len))
  for i in 0 ..< result.len:
    result[i] = buf[i]

proc showScore(player: int64, score: int64) =
  discard hud_set(player, 0, "Score: " & $score & "   next milestone: " &
                  $((score div MILESTONE + 1) * MILESTONE))

proc on_player_join(player: int64, entity: int64) {.hook.} =
  showScore(player, entity_get_score(entity))
  let n = visits.getOrDefault(player) + 1
  visits[player] = n
  inc totalJoins
  if n == 1:
    send_chat(player, "Welcome, " & name(player) & "! Type /help for commands.")
  else:
    send_chat(player, "Welcome back, " & name(player) & " (visit " & $n & ").")
  send_chat(ALL_PLAYERS, name(player) & " joined (" & $player_count() & " playing)")
  log("join " & $player & " visit " & $n)
  if not leaderTimer:
    leaderTimer = timer_after(LEADER_TICKS, LEADER_TIMER) == 1

proc on_player_leave(player: int64, entity: int64) {.hook.} =
  send_chat(ALL_PLAYERS, name(player) & " left with " & $entity_get_score(entity) & " points")
  if player_count() == 1:  # the last one: nobody to announce to
    discard timer_cancel(LEADER_TIMER)
    leaderTimer = false

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
  if chat_consumed() == 1:
    return 0  # a mod before us answered it
  let line = text.strip()
  case line
  of "/score":
    let e = player_entity(player)
    if e == NO_ENTITY: send_chat(player, "You have no entity.")
    else: send_chat(player, "Your score: " & $entity_get_score(e))
  of "/joins":
    send_chat(player, "You joined " & $visits.getOrDefault(player) & " time(s); " &
              $totalJoins & " joins in all; this visit is " &
              $player_ticks_connected(player) & " ticks old.")
  of "/top":
    send_chat(player, leader())
  else:
    return 0
  return 1

proc on_timer(tag: int64) {.hook.} =
  if tag == LEADER_TIMER:
    send_chat(ALL_PLAYERS, leader())
    leaderTimer = timer_after(LEADER_TICKS, LEADER_TIMER) == 1

proc on_event(kind: int64, a: int64, b: int64) {.hook.} =
  if kind == EVENT_COIN_TAKEN:
    showScore(entity_get_owner(a), b)
  if kind == EVENT_COIN_TAKEN and b > 0 and b mod MILESTONE == 0:
    send_chat(ALL_PLAYERS, name(entity_get_owner(a)) & " reached " & $b & " points!")
    var entity: array[8, byte]  # the player's entity id, little-endian
    for i in 0 ..< 8:
      entity[i] = byte((a shr (8 * i)) and 0xff)
    discard send_message("pickups", entity)

proc on_mod_disabled(mod_name: string) {.hook.} =
  send_chat(ALL_PLAYERS, "The game disabled mod " & mod_name &
            " after repeated faults.")

discard command_register("score", "your score")
discard command_register("joins", "how often you and everyone joined")
discard command_register("top", "who leads")
score_title("Coins")
echo "greeter: ready"
