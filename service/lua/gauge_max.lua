-- Keep the largest value seen in a hash field (the busiest moment of a minute), in one step.
-- KEYS: hash. ARGV: field, value, ttl seconds.
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if tonumber(ARGV[2]) > current then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
