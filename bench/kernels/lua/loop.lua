-- The integer loop (bench/kernels/loop.c). Checksum: the accumulator mod 2^32.
return function(n)
  local x, acc = 1, 0
  for i = 0, n - 1 do
    x = (x * 1664525 + 1013904223) % 4294967296
    local hi = SHR(x, 16)
    if BAND(hi, 1) == 1 then
      acc = acc + hi
    else
      acc = acc + BAND(i, 1023) * 3
    end
    acc = acc % 4294967296
  end
  return acc
end
