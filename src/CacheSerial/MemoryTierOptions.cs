namespace CacheSerial;

/// <summary>
/// The in-process memory tier in front of the store (<c>UseMemoryTier</c>). A hit is answered from this process's
/// memory without a store round trip; a value of an immutable type (see <c>ShareInstancesOf</c>) is returned as the
/// same instance every time, any other value is kept encoded and decoded per hit, so callers never share a mutable
/// instance.
/// </summary>
/// <remarks>
/// This process's own writes and removes are seen at once. Another process's are seen when an invalidation source
/// tells this one (a backplane, <c>UseRedisBackplane</c>, or Redis server-assisted invalidation,
/// <c>RedisCacheStoreOptions.ClientTracking</c>; docs/coherence.md gives the bound in each state). Without one, memory
/// is local-only: another process's change reaches this process only when <see cref="LocalExpiration"/> ends.
/// </remarks>
public sealed class MemoryTierOptions
{
    /// <summary>The local lifetime of a local-only memory tier when <see cref="LocalExpiration"/> is not set: 10 seconds.</summary>
    public static readonly TimeSpan DefaultLocalExpiration = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The local lifetime when <see cref="LocalExpiration"/> is not set and an invalidation source keeps memory coherent:
    /// 5 minutes (a safety net; invalidations evict changed entries long before).
    /// </summary>
    public static readonly TimeSpan DefaultCoherentLocalExpiration = TimeSpan.FromMinutes(5);

    /// <summary>The default for <see cref="DisconnectedTolerance"/>: 1 second.</summary>
    public static readonly TimeSpan DefaultDisconnectedTolerance = TimeSpan.FromSeconds(1);

    /// <summary>How many entries memory holds at most; past it, the least recently used leave first. Default: 100,000.</summary>
    public int MaximumEntries { get; set; } = 100_000;

    /// <summary>
    /// How many bytes memory holds at most, counting each entry's key, encoded payload and a fixed overhead of 128 bytes
    /// (a decoded value counts as its encoded size). An entry larger than this is not kept. Default: 100 MiB.
    /// </summary>
    public long MaximumBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>
    /// How long an entry is served from memory after it enters it (from a store read or this process's write), never
    /// past the entry's own expiry; per call, <see cref="CacheEntryOptions.LocalExpiration"/>. Without an invalidation
    /// source it bounds how long another process's change can go unseen here. Positive when set. Default (null):
    /// <see cref="DefaultLocalExpiration"/> when local-only, <see cref="DefaultCoherentLocalExpiration"/> when a
    /// backplane or server-assisted invalidation keeps memory coherent.
    /// </summary>
    public TimeSpan? LocalExpiration { get; set; }

    /// <summary>
    /// How long memory keeps answering after its invalidation source is lost (a dropped connection): a change made
    /// elsewhere in that time may be missed, so past it every read goes to the store until the source is back, proven
    /// to deliver, and memory flushed. Zero stops serving at once. Not negative. Default:
    /// <see cref="DefaultDisconnectedTolerance"/>.
    /// </summary>
    public TimeSpan DisconnectedTolerance { get; set; } = DefaultDisconnectedTolerance;

    /// <summary>
    /// When false (the default), get-or-create callers get the factory's value as soon as memory holds it and the store
    /// write finishes in the background: a miss costs one store round trip. When true, they also wait for the store
    /// write, so another process reading the key right after sees the value. <c>SetAsync</c> always waits for the store.
    /// </summary>
    public bool AwaitStoreWrites { get; set; }
}
