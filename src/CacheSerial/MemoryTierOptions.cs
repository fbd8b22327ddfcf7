namespace CacheSerial;

/// <summary>
/// The in-process memory tier in front of the store (<c>UseMemoryTier</c>). A hit is answered from this process's
/// memory without a store round trip; a value of an immutable type (see <c>ShareInstancesOf</c>) is returned as the
/// same instance every time, any other value is kept encoded and decoded per hit, so callers never share a mutable
/// instance.
/// </summary>
/// <remarks>
/// Until an invalidation source is configured, memory is local-only: another process's write or remove of a key
/// reaches this process only when <see cref="LocalExpiration"/> ends. This process's own writes and removes are
/// seen at once.
/// </remarks>
public sealed class MemoryTierOptions
{
    /// <summary>The default for <see cref="LocalExpiration"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultLocalExpiration = TimeSpan.FromSeconds(10);

    /// <summary>How many entries memory holds at most; past it, the least recently used leave first. Default: 100,000.</summary>
    public int MaximumEntries { get; set; } = 100_000;

    /// <summary>
    /// How many bytes memory holds at most, counting each entry's key, encoded payload and a fixed overhead of 128 bytes
    /// (a decoded value counts as its encoded size). An entry larger than this is not kept. Default: 100 MiB.
    /// </summary>
    public long MaximumBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>
    /// How long an entry is served from memory after it enters it (from a store read or this process's write), never
    /// past the entry's own expiry; per call, <see cref="CacheEntryOptions.LocalExpiration"/>. It bounds how long
    /// another process's change can go unseen here. Default: <see cref="DefaultLocalExpiration"/>.
    /// </summary>
    public TimeSpan LocalExpiration { get; set; } = DefaultLocalExpiration;

    /// <summary>
    /// When false (the default), get-or-create callers get the factory's value as soon as memory holds it and the store
    /// write finishes in the background: a miss costs one store round trip. When true, they also wait for the store
    /// write, so another process reading the key right after sees the value. <c>SetAsync</c> always waits for the store.
    /// </summary>
    public bool AwaitStoreWrites { get; set; }
}
