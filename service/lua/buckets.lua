-- Token buckets, checked and charged in one atomic step: either every bucket has the tokens and
-- all are charged, or none is. A library: scripts that rate-limit start with this text.
-- charge(first, count, cost, arg): buckets are KEYS[first .. first+count-1], and bucket i has its
-- rate (tokens/s) at ARGV[arg + 2i - 1] and its capacity at ARGV[arg + 2i].
-- Returns allowed (1/0), the wait in ms until it would be, and the first empty bucket (1-based).
redis.replicate_commands()
local function charge(first, count, cost, arg)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
  local tokens = {}
  local wait_ms = 0
  local blocked = 0
  for i = 1, count do
    local key = KEYS[first + i - 1]
    local rate = tonumber(ARGV[arg + 2 * i - 1])
    local capacity = tonumber(ARGV[arg + 2 * i])
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
    return 0, wait_ms, blocked
  end
  for i = 1, count do
    local rate = tonumber(ARGV[arg + 2 * i - 1])
    local capacity = tonumber(ARGV[arg + 2 * i])
    redis.call('HSET', KEYS[first + i - 1], 'tokens', tokens[i] - cost, 'ts', now)
    -- a full bucket carries no information: let it expire once it would have refilled
    redis.call('PEXPIRE', KEYS[first + i - 1], math.ceil(capacity / rate * 1000) + 1000)
  end
  return 1, 0, 0
end
