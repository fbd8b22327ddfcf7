namespace CacheSerial.StackExchangeRedis;

/// <summary>
/// Options of the native Redis store (<c>UseStackExchangeRedis</c>). Checked when <c>UseStackExchangeRedis</c> runs: an
/// invalid value throws <see cref="ArgumentException"/> there.
/// </summary>
public sealed class RedisCacheStoreOptions
{
    /// <summary>The default of <see cref="LockLease"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultLockLease = TimeSpan.FromSeconds(30);

    /// <summary>The default of <see cref="LockWaitTimeout"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultLockWaitTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The Redis database index; -1 (the default) for the connection's default database (0 unless the configuration
    /// names another). Redis Cluster has only database 0.
    /// </summary>
    public int Database { get; set; } = -1;

    /// <summary>
    /// Offers a lock shared by every process using this Redis (<see cref="ICacheStore.DistributedLock"/>), so that
    /// concurrent misses of one key in several processes run the factory once. Off by default: each lock costs two extra
    /// round trips per factory run (take and release).
    /// </summary>
    /// <remarks>
    /// The lock of an entry lives under the entry's stored key followed by U+001D and <c>lock</c> (a character cache keys
    /// cannot contain, so a lock never collides with an entry). It is a plain string taken with <c>SET NX PX</c> and
    /// released with a compare-and-delete script, both single-key commands, so it works on Redis Cluster too.
    /// </remarks>
    public bool DistributedLock { get; set; }

    /// <summary>
    /// How long a taken lock lives if its holder never releases it (a crashed process): after it, another process may
    /// run the factory. Longer than the factories it guards. At least 1 ms. Default: <see cref="DefaultLockLease"/>.
    /// </summary>
    public TimeSpan LockLease { get; set; } = DefaultLockLease;

    /// <summary>
    /// How long a caller waits for another process's factory (re-reading the cache) before running its own. Greater than
    /// zero and at most <see cref="LockLease"/> (a longer wait outlives the lock it waits for). Default:
    /// <see cref="DefaultLockWaitTimeout"/>: long enough for a typical database-backed factory, short enough that the
    /// waiters of a crashed holder recover long before its 30 s lease ends.
    /// </summary>
    public TimeSpan LockWaitTimeout { get; set; } = DefaultLockWaitTimeout;

    /// <summary>
    /// Keeps the memory tiers of every process coherent with Redis itself (server-assisted invalidation): the store's
    /// connection turns on <c>CLIENT TRACKING ... BCAST PREFIX &lt;the cache's key prefix&gt; NOLOOP</c>, so Redis reports
    /// every change of the cache's keys by any client (another application, a script, an expiry, a <c>FLUSHALL</c>) and
    /// the cache evicts them from memory. Only matters with a memory tier (<c>UseMemoryTier</c>). Off by default.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Needs Redis 6.2 or later on a single primary endpoint over RESP2 (the default protocol). Not Redis Cluster, not a
    /// connection to several endpoints or replicas, not Garnet (which has no <c>CLIENT TRACKING</c>): there the store logs
    /// why (event 6007) and the cache relies on <c>UseRedisBackplane</c> if it has one, else its memory is local-only.
    /// One cache per connection: a second cache with tracking on a shared connection logs 6007 and does without.
    /// </para>
    /// <para>
    /// Costs: Redis sends one report per changed key under the prefix to every process tracking it (BCAST: it keeps no
    /// per-client table of what was read, so its memory does not grow with reads), and the subscription connection of the
    /// store's multiplexer receives them. The process's own writes are not reported back to it (NOLOOP). Arming, at start
    /// and after every reconnect, costs a few commands (<c>CLIENT INFO</c>, <c>CLIENT LIST TYPE pubsub</c>, a probe key
    /// under <c>__cacheserial:tracking-probe:</c>); while the connection is down, memory serves for
    /// <c>MemoryTierOptions.DisconnectedTolerance</c> at most and is flushed once tracking is armed again.
    /// </para>
    /// </remarks>
    public bool ClientTracking { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    internal void Validate(string paramName)
    {
        if (Database < -1)
        {
            throw new ArgumentException($"RedisCacheStoreOptions.Database must be -1 (the connection's default) or a database index, not {Database}.", paramName);
        }

        if (LockLease < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentException($"RedisCacheStoreOptions.LockLease must be at least 1 ms, not {LockLease}.", paramName);
        }

        if (LockWaitTimeout <= TimeSpan.Zero || LockWaitTimeout > LockLease)
        {
            throw new ArgumentException(
                $"RedisCacheStoreOptions.LockWaitTimeout must be greater than zero and at most LockLease ({LockLease}), not {LockWaitTimeout}.", paramName);
        }
    }
}
