-- Store a new comment record and queue it for scoring, unless (site, comment id) is known.
-- KEYS: record hash, idempotency key, score queue, pending index.
-- ARGV: record id, comment json, received_at, site id, request id, ttl seconds, queue member.
-- Returns {1, record id} when created, {0, existing record id} for a repeat.
local existing = redis.call('GET', KEYS[2])
if existing then
  return {0, existing}
end
redis.call('HSET', KEYS[1], 'comment', ARGV[2], 'received_at', ARGV[3], 'status', 'pending',
  'version', '0', 'site_id', ARGV[4], 'request_id', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[6])
redis.call('RPUSH', KEYS[3], ARGV[7])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[7])
return {1, ARGV[1]}
