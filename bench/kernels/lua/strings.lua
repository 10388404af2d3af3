-- The byte-string kernel (bench/kernels/strings.c) over a table of byte values; buf[k + 1]
-- holds C's buf[k]. Checksum: the running mix mod 2^32.
local BUF_N = 4096

local function memmove(buf, dst, src, len)
  if dst > src then
    for k = len - 1, 0, -1 do buf[dst + k] = buf[src + k] end
  else
    for k = 0, len - 1 do buf[dst + k] = buf[src + k] end
  end
end

return function(n)
  local buf = {}
  for i = 0, BUF_N - 1 do buf[i + 1] = BAND(i * 7 + 3, 255) end
  local acc = 0
  for i = 0, n - 1 do
    local len = 16 + (i * 13) % 1008
    local src = (i * 131) % 2048
    local dst = (i * 71) % 2048 + 1024
    memmove(buf, dst + 1, src + 1, len)
    local at = (i * 29) % 3072 + 1
    local v = BAND(i, 255)
    for k = at, at + 63 + i % 64 do buf[k] = v end
    local h = 0
    local w = (i * 17) % 3840 + 1
    for k = w, w + 255 do h = (h * 31 + buf[k]) % 4294967296 end
    local want, pos = BAND(i * 3, 255), 0
    for k = 1, BUF_N do
      if buf[k] == want then pos = k break end
    end
    local a, c = (i * 5) % 4032 + 1, (i * 11) % 4032 + 1
    local sign = 0
    for k = 0, 63 do
      local x, y = buf[a + k], buf[c + k]
      if x ~= y then
        sign = x < y and 1 or 2
        break
      end
    end
    acc = (acc * 33 + h + pos + sign) % 4294967296
  end
  return acc
end
