namespace CacheSerial.Internal;

/// <summary>The store of one named cache, when the builder chose one; otherwise the cache adapts the registered IDistributedCache.</summary>
internal sealed class StoreOptions
{
    public Func<IServiceProvider, ICacheStore>? Factory { get; set; }
}
