namespace CacheSerial.Internal;

/// <summary>
/// One key in the memory tier: what its envelope said (created-at, logical expiry, flags) and the tier's own clock for
/// it (until when it is served from memory, until when it is kept as a fail-safe fallback). Subclasses hold the value:
/// decoded (<see cref="SharedMemoryEntry{T}"/>, types whose instances can be shared) or encoded
/// (<see cref="EncodedMemoryEntry"/>, decoded per hit so callers never share a mutable instance).
/// </summary>
internal abstract class MemoryEntry(Type valueType, bool shared, long createdAtMs, long expiresAtMs, EnvelopeFlags flags, string[]? tags, long localUntilMs, long keepUntilMs, long size)
{
    /// <summary>The type the value was kept as; a read as another type is a miss here.</summary>
    public Type ValueType { get; } = valueType;

    /// <summary>A <see cref="SharedMemoryEntry{T}"/> (checked with <see cref="ValueType"/> instead of a cast: a hit's
    /// type test on a shared generic costs more than the rest of the lookup).</summary>
    public bool IsShared { get; } = shared;

    public long CreatedAtMs { get; } = createdAtMs;

    /// <summary>The logical expiry (unix ms) from the envelope; 0 for none.</summary>
    public long ExpiresAtMs { get; } = expiresAtMs;

    public EnvelopeFlags Flags { get; } = flags;

    /// <summary>The entry's tags, checked on every hit against the removals this process knows of; null for none.</summary>
    public string[]? Tags { get; } = tags;

    /// <summary>Served from memory before this instant (unix ms); after it, only a fail-safe fallback.</summary>
    public long LocalUntilMs { get; } = localUntilMs;

    /// <summary>Dropped from memory at this instant (unix ms): <see cref="LocalUntilMs"/>, or later under fail-safe.</summary>
    public long KeepUntilMs { get; } = keepUntilMs;

    /// <summary>What the entry is counted as against the tier's byte bound.</summary>
    public long Size { get; } = size;

    /// <summary>
    /// The shared value when it is a reference (the same reference as the subclass's, no copy): read without knowing
    /// the type, so the shortest hit path needs no generic lookup. Meaningful only when <see cref="SharesReference"/>.
    /// </summary>
    public object? SharedReference;

    /// <summary>A shared entry of a reference type (its value, possibly null, is <see cref="SharedReference"/>).</summary>
    public bool SharesReference;

    /// <summary>The sliding window (ms) the writing or reading call named; 0 when the entry does not slide.</summary>
    public long SlidingMs;

    /// <summary>A sliding entry is served before this instant; hits move it on (at most every quarter window), and each
    /// move renews the store's window too, so memory and store expire together once reads stop.</summary>
    public long SlidingUntilMs;

    /// <summary>Set on a hit and cleared when the eviction hand passes (second chance); read before it is written, so
    /// a hot key's hits do not keep writing the same cache line.</summary>
    public bool Used;
}
