-- The guest->host loop of bench/kernels/calls.c: call a host (Python) function n times.
return function(n, host_add)
  local s = 0
  for i = 0, n - 1 do
    s = host_add(s, i)
  end
  return s
end
