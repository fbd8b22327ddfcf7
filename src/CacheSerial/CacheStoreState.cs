namespace CacheSerial;

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
