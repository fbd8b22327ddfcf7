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
