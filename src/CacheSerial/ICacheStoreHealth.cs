namespace CacheSerial;

/// <summary>
/// The state of one cache's store as the cache sees it, for health checks. Registered for every cache: resolve it like
/// the cache (<c>ICacheStoreHealth</c> for <c>AddCacheSerial</c>, <c>[FromKeyedServices(name)]</c> for
/// <c>AddKeyedCacheSerial</c>). Reading it makes no store call.
/// </summary>
public interface ICacheStoreHealth
{
    /// <summary>The cache's name: <c>default</c>, or the key of <c>AddKeyedCacheSerial</c>.</summary>
    string CacheName { get; }

    /// <summary>The store's state now.</summary>
    CacheStoreState State { get; }
}

/// <summary>The state of a cache's store, from its circuit breaker.</summary>
public enum CacheStoreState
{
    /// <summary>The last store call succeeded (or none was made yet).</summary>
    Healthy = 0,

    /// <summary>The last store calls failed, not yet enough to open the circuit breaker: the cache still calls the store.</summary>
    Degraded = 1,

    /// <summary>The circuit breaker is open: reads are misses and writes are skipped until a probe call succeeds.</summary>
    Unavailable = 2,
}
