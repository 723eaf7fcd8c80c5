-- Token buckets for several keys, checked and charged in one atomic step:
-- either every bucket has a token and all are charged, or none is.
-- KEYS: one hash per bucket. ARGV[1]: cost; then per key: rate (tokens/s), capacity.
-- Returns {allowed (1/0), retry_after_ms, index of the first empty bucket (1-based, 0 if none)}.
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cost = tonumber(ARGV[1])
local tokens = {}
local wait_ms = 0
local blocked = 0
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i])
  local capacity = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local have = tonumber(state[1])
  local ts = tonumber(state[2])
  if have == nil then
    have = capacity
  else
    have = math.min(capacity, have + math.max(0, now - ts) * rate)
  end
  tokens[i] = have
  if have < cost then
    local ms = math.ceil((cost - have) / rate * 1000)
    if ms > wait_ms then wait_ms = ms end
    if blocked == 0 then blocked = i end
  end
end
if blocked > 0 then
  return {0, wait_ms, blocked}
end
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i])
  local capacity = tonumber(ARGV[2 * i + 1])
  redis.call('HSET', key, 'tokens', tokens[i] - cost, 'ts', now)
  -- a full bucket carries no information: let it expire once it would have refilled
  redis.call('PEXPIRE', key, math.ceil(capacity / rate * 1000) + 1000)
end
return {1, 0, 0}
