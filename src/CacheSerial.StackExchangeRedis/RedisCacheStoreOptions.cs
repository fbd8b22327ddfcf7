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
