package redisstore

import "github.com/redis/go-redis/v9"

// The scripts. Each one starts by checking the epoch (KEYS[1] against
// ARGV[1]) and answers "EPOCH <the epoch found>" when it differs. Keys that
// depend on what a script reads (a user's set, the sessions in it) are
// built from the prefix, ARGV's last: fine on a standalone Redis (the mock
// does not support Redis Cluster).
//
// The Bloom filter of revoked digests: 2^27 bits (16 MiB), 20 positions per
// digest, h1 + i*h2 mod 2^27 from the first 64 bits of the SHA-256 (a false
// positive, a never-seen token taken for a revoked one, about 1e-6 at four
// million revocations, as in the in-memory store).
const prelude = `
local e = redis.call('GET', KEYS[1])
if e ~= ARGV[1] then return redis.error_reply('EPOCH ' .. (e or '')) end
local M, K = 134217728, 20
local function positions(d)
  local h1, h2 = tonumber(string.sub(d, 1, 8), 16), tonumber(string.sub(d, 9, 16), 16)
  h2 = h2 - (h2 % 2) + 1
  local p = {}
  for i = 0, K - 1 do p[#p + 1] = (h1 + i * h2) % M end
  return p
end
local function revoked(key, d)
  for _, p in ipairs(positions(d)) do
    if redis.call('GETBIT', key, p) == 0 then return false end
  end
  return true
end
local function revoke(key, d)
  for _, p in ipairs(positions(d)) do redis.call('SETBIT', key, p, 1) end
end
`

// checkScript: KEYS epoch and the state keys; ARGV epoch, state TTL.
var checkScript = redis.NewScript(prelude + `
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return 1
`)

// markLostScript records a loss, unless the epoch changed meanwhile (a
// reset): KEYS epoch; ARGV the epoch seen, the lost epoch, state TTL.
var markLostScript = redis.NewScript(`
local e = redis.call('GET', KEYS[1])
if (e or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)

// addSession is shared by mint, seed and lookup: ARGV digest, user key,
// session TTL, prefix, then the cap on live sessions (--max-sessions).
// Sessions are numbered in order (the sorted set order, by order:seq);
// past the cap the oldest are forgotten: deleted, never revoked, so a
// forgotten token is unknown afterwards (in mode lazy a new session
// again), and one revoked stays revoked (the filter forgets nothing).
// An entry of order whose session expired is skipped when its turn comes.
const addSession = `
local function forget(prefix, d)
  local skey = prefix .. 's:' .. d
  local u = redis.call('GET', skey)
  if not u then return end
  redis.call('DEL', skey)
  if u ~= 'token' then redis.call('SREM', prefix .. 'u:' .. u, d) end
end
local function add(skey, d, user, ttl, prefix, maxn)
  redis.call('SET', skey, user, 'PX', ttl)
  if user ~= 'token' then
    local ukey = prefix .. 'u:' .. user
    redis.call('SADD', ukey, d)
    redis.call('PEXPIRE', ukey, ttl)
  end
  local okey, seq = prefix .. 'order', prefix .. 'order:seq'
  redis.call('ZADD', okey, redis.call('INCR', seq), d)
  redis.call('PEXPIRE', okey, ttl)
  redis.call('PEXPIRE', seq, ttl)
  maxn = tonumber(maxn)
  while redis.call('ZCARD', okey) > maxn do
    forget(prefix, redis.call('ZPOPMIN', okey)[1])
  end
end
`

// mintScript: KEYS epoch, session; ARGV epoch, digest, user key, session
// TTL, prefix, max sessions.
var mintScript = redis.NewScript(prelude + addSession + `
add(KEYS[2], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
return 1
`)

// seedScript is mintScript for a seeded token, unless it was revoked:
// KEYS epoch, session, revoked.
var seedScript = redis.NewScript(prelude + addSession + `
if redis.call('EXISTS', KEYS[2]) == 1 or revoked(KEYS[3], ARGV[2]) then return 0 end
add(KEYS[2], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
return 1
`)

// lookupScript answers {0, user key} (live), {1, ”} (unknown) or {2, ”}
// (revoked), and in mode lazy makes an unseen token a session, unless it
// is a JWT issued before its user's last revoke-all (then revoked):
// KEYS epoch, session, revoked, logouts; ARGV epoch, digest, mode, user
// key ('token' for its own user), iat in s (-1: none), session TTL, prefix,
// max sessions. A user whose logout time was forgotten (revokeScript
// keeps a bounded number) is taken to have logged out at the latest time
// forgotten (logouts:floor), as the in-memory store does: an old JWT is
// refused rather than accepted wrongly.
var lookupScript = redis.NewScript(prelude + addSession + `
local d, ttl, prefix = ARGV[2], ARGV[6], ARGV[7]
local u = redis.call('GET', KEYS[2])
if u then
  redis.call('PEXPIRE', KEYS[2], ttl)
  if u ~= 'token' then redis.call('PEXPIRE', prefix .. 'u:' .. u, ttl) end
  return {0, u}
end
if revoked(KEYS[3], d) then return {2, ''} end
if ARGV[3] ~= 'lazy' then return {1, ''} end
local user, iat = ARGV[4], tonumber(ARGV[5])
if user ~= 'token' and iat >= 0 then
  local at = redis.call('HGET', KEYS[4], user) or redis.call('GET', prefix .. 'logouts:floor')
  if at and iat < math.floor(tonumber(at) / 1000) then
    revoke(KEYS[3], d)
    return {2, ''}
  end
end
add(KEYS[2], d, user, ttl, prefix, ARGV[8])
return {0, user}
`)

// revokeScript revokes every session of the user owning the token (or the
// token alone, for an opaque lazy token) and records the user's logout
// time; nothing when the token is no longer live (a concurrent revoke-all
// got there first): KEYS epoch, session, revoked, logouts; ARGV epoch,
// digest, now in ms, state TTL, prefix, the logout times kept. Past that
// many users the oldest logout time is forgotten and raises the floor
// (logouts:order by time, logouts:floor).
var revokeScript = redis.NewScript(prelude + `
local d, now, ttl, prefix = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local u = redis.call('GET', KEYS[2])
if not u then return 0 end
local okey = prefix .. 'order'
revoke(KEYS[3], d)
redis.call('DEL', KEYS[2])
redis.call('ZREM', okey, d)
if u ~= 'token' then
  local ukey = prefix .. 'u:' .. u
  for _, m in ipairs(redis.call('SMEMBERS', ukey)) do
    redis.call('DEL', prefix .. 's:' .. m)
    redis.call('ZREM', okey, m)
    revoke(KEYS[3], m)
  end
  redis.call('DEL', ukey)
  redis.call('HSET', KEYS[4], u, now)
  local lo, fk, maxl = prefix .. 'logouts:order', prefix .. 'logouts:floor', tonumber(ARGV[6])
  redis.call('ZADD', lo, now, u)
  while redis.call('ZCARD', lo) > maxl do
    local p = redis.call('ZPOPMIN', lo)
    redis.call('HDEL', KEYS[4], p[1])
    if tonumber(p[2]) > tonumber(redis.call('GET', fk) or '0') then redis.call('SET', fk, p[2]) end
  end
  for _, k in ipairs({KEYS[4], lo, fk}) do redis.call('PEXPIRE', k, ttl) end
end
redis.call('PEXPIRE', KEYS[3], ttl)
return 1
`)

// scenarioAddScript: KEYS epoch, sc, sc:left, sc:seq; ARGV epoch, JSON,
// remaining, state TTL. Returns the new id's number.
var scenarioAddScript = redis.NewScript(prelude + `
local n = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[2], n, ARGV[2])
redis.call('HSET', KEYS[3], n, ARGV[3])
for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
return n
`)

// scenarioListScript: KEYS epoch, sc, sc:left. Returns id, JSON, remaining
// triples.
var scenarioListScript = redis.NewScript(prelude + `
local out = {}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local left = redis.call('HGET', KEYS[3], all[i])
  if left then
    out[#out + 1] = all[i]; out[#out + 1] = all[i + 1]; out[#out + 1] = left
  end
end
return out
`)

// scenarioTakeScript spends one use of the first scenario of ARGV[2..]
// still active and returns {id, uses left (-1: until deleted)}; a
// scenario used up is deleted. KEYS epoch, sc, sc:left.
var scenarioTakeScript = redis.NewScript(prelude + `
for i = 2, #ARGV do
  local id = ARGV[i]
  local left = tonumber(redis.call('HGET', KEYS[3], id))
  if left and left < 0 then return {id, -1} end
  if left and left > 0 then
    left = redis.call('HINCRBY', KEYS[3], id, -1)
    if left <= 0 then
      redis.call('HDEL', KEYS[2], id)
      redis.call('HDEL', KEYS[3], id)
    end
    return {id, left}
  end
end
return false
`)

// scenarioDeleteScript: KEYS epoch, sc, sc:left; ARGV epoch, id number.
var scenarioDeleteScript = redis.NewScript(prelude + `
redis.call('HDEL', KEYS[3], ARGV[2])
return redis.call('HDEL', KEYS[2], ARGV[2])
`)

// delScript deletes KEYS[2..].
var delScript = redis.NewScript(prelude + `
for i = 2, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
`)

// journalAddScript: KEYS epoch, j, j:seq; ARGV epoch, JSON, size, state TTL.
var journalAddScript = redis.NewScript(prelude + `
local n = redis.call('INCR', KEYS[3])
redis.call('LPUSH', KEYS[2], n .. ' ' .. ARGV[2])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return n
`)

// journalListScript: KEYS epoch, j.
var journalListScript = redis.NewScript(prelude + `
return redis.call('LRANGE', KEYS[2], 0, -1)
`)
