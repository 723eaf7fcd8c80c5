-- (follows buckets.lua) Charge ARGV[1] tokens from every bucket in KEYS, or from none.
-- ARGV: cost, then per key: rate (tokens/s), capacity.
-- Returns {allowed (1/0), retry_after_ms, index of the first empty bucket (0 if none)}.
local allowed, wait_ms, blocked = charge(1, #KEYS, tonumber(ARGV[1]), 1)
return {allowed, wait_ms, blocked}
