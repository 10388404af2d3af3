-- The CoreMark-like mix (bench/kernels/mixed.c): linked list, matrix, state machine, CRC-16.
local LIST_N, MAT_N = 32, 8
local TEXT0 = "5012,1234,-874,+122,0x1F,3.14e2,abc,--5,7.,6E-3,99,+.5,1.2.3,e7,00,"
local ALPHABET = "0123456789.,+-eEx"
local START, SIGN, INT, FLOAT, EXP_E, EXP_SIGN, SCIENTIFIC, INVALID = 0, 1, 2, 3, 4, 5, 6, 7
local NSTATES = 8
local B0, B9, COMMA, DOT = string.byte("0"), string.byte("9"), string.byte(","), string.byte(".")
local PLUS, MINUS, LE, UE = string.byte("+"), string.byte("-"), string.byte("e"), string.byte("E")

local function crc8(crc, byte)
  crc = BXOR(crc, BAND(byte, 255))
  for _ = 1, 8 do
    if BAND(crc, 1) == 1 then
      crc = BXOR(SHR(crc, 1), 0xA001)
    else
      crc = SHR(crc, 1)
    end
  end
  return crc
end

local function crc16(crc, word)
  crc = crc8(crc, BAND(word, 255))
  return crc8(crc, BAND(SHR(word, 8), 255))
end

local nodes = {}
for i = 1, LIST_N do
  nodes[i] = { next = false, value = 0, index = i - 1 }
end

local function list_work(s)
  for i = 1, LIST_N do
    local node = nodes[i]
    node.value = BAND((i - 1) * 37 + s, 255)
    node.next = nodes[i + 1] or false
  end
  local prev, p = false, nodes[1]
  while p do
    local nxt = p.next
    p.next = prev
    prev = p
    p = nxt
  end
  local head = prev
  local sum, big, found, pos = 0, 0, 255, 1
  p = head
  while p do
    local v = p.value
    sum = sum + v * pos
    if v > 128 then big = big + 1 end
    if found == 255 and BAND(v, 15) == BAND(s, 15) then found = p.index end
    p = p.next
    pos = pos + 1
  end
  while head and BAND(head.value, 1) == 1 do
    head = head.next
  end
  p = head
  while p and p.next do
    if BAND(p.next.value, 1) == 1 then
      p.next = p.next.next
    else
      p = p.next
    end
  end
  local left = 0
  p = head
  while p do
    left = left + 1
    p = p.next
  end
  return sum + big * 4096 + found * 65536 + left * 16777216
end

local ma, mb, mc = {}, {}, {}

local function matrix_work(s)
  for i = 0, MAT_N - 1 do
    for j = 0, MAT_N - 1 do
      ma[i * MAT_N + j + 1] = BAND(i * 13 + j * 7 + s, 255) - 128
      mb[i * MAT_N + j + 1] = BAND(i * 5 + j * 11 + s * 3, 255) - 128
    end
  end
  for i = 0, MAT_N - 1 do
    for j = 0, MAT_N - 1 do
      local t = 0
      for k = 0, MAT_N - 1 do
        t = t + ma[i * MAT_N + k + 1] * mb[k * MAT_N + j + 1]
      end
      mc[i * MAT_N + j + 1] = t
    end
  end
  local r = 0
  for i = 0, MAT_N * MAT_N - 1 do
    local v = mc[i + 1]
    if v > 0 then
      r = r + SHR(v, 4)
    else
      r = r - i
    end
  end
  return r
end

local function state_next(state, c)
  local digit = c >= B0 and c <= B9
  if state == START then
    if digit then return INT end
    if c == PLUS or c == MINUS then return SIGN end
    if c == DOT then return FLOAT end
    return INVALID
  elseif state == SIGN or state == INT then
    if digit then return INT end
    if c == DOT then return FLOAT end
    return INVALID
  elseif state == FLOAT then
    if digit then return FLOAT end
    if c == LE or c == UE then return EXP_E end
    return INVALID
  elseif state == EXP_E then
    if c == PLUS or c == MINUS then return EXP_SIGN end
    return INVALID
  elseif state == EXP_SIGN or state == SCIENTIFIC then
    if digit then return SCIENTIFIC end
    return INVALID
  end
  return INVALID
end

local text, alphabet = {}, {}
local TEXT_N, ALPHABET_N = #TEXT0, #ALPHABET
for i = 1, ALPHABET_N do alphabet[i] = string.byte(ALPHABET, i) end

local function state_work(s, counts)
  text[(s * 7) % TEXT_N + 1] = alphabet[s % ALPHABET_N + 1]
  local state = START
  for i = 1, TEXT_N do
    local c = text[i]
    if c == COMMA then
      counts[state + 1] = counts[state + 1] + 1
      state = START
    else
      state = state_next(state, c)
    end
  end
  counts[state + 1] = counts[state + 1] + 1
end

return function(n)
  for i = 1, TEXT_N do text[i] = string.byte(TEXT0, i) end
  local crc, total = 0, 0
  local counts = {}
  for it = 0, n - 1 do
    local s = BAND(it, 255)
    for k = 1, NSTATES do counts[k] = 0 end
    local l = list_work(s) % 4294967296
    local m = matrix_work(s) % 4294967296
    state_work(s, counts)
    crc = crc16(crc, BAND(l, 0xFFFF))
    crc = crc16(crc, BAND(SHR(l, 16), 0xFFFF))
    crc = crc16(crc, BAND(m, 0xFFFF))
    crc = crc16(crc, BAND(SHR(m, 16), 0xFFFF))
    for k = 1, NSTATES do crc = crc16(crc, counts[k]) end
    total = (total + l + m) % 4294967296
  end
  return crc + 65536 * (total % 65536)
end
