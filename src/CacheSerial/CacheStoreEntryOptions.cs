namespace CacheSerial;

/// <summary>How long a store keeps an entry. Times are exact; a store that counts in coarser units rounds them up.</summary>
public readonly struct CacheStoreEntryOptions : IEquatable<CacheStoreEntryOptions>
{
    /// <summary>Creates store options.</summary>
    /// <param name="timeToLive">How long the store keeps the entry at most from now; <see langword="null"/> for no limit.</param>
    /// <param name="slidingExpiration">How long the entry lives after its last read; <see langword="null"/> when it does not slide.</param>
    public CacheStoreEntryOptions(TimeSpan? timeToLive, TimeSpan? slidingExpiration)
    {
        TimeToLive = timeToLive;
        SlidingExpiration = slidingExpiration;
    }

    /// <summary>How long the store keeps the entry at most from now (fail-safe's extra time included); <see langword="null"/> for no limit.</summary>
    public TimeSpan? TimeToLive { get; }

    /// <summary>How long the entry lives after its last read; <see langword="null"/> when it does not slide.</summary>
    public TimeSpan? SlidingExpiration { get; }

    /// <summary>The time until the entry would expire if nobody read it: the shorter of the two, or <see langword="null"/> for none.</summary>
    public TimeSpan? InitialTimeToLive =>
        SlidingExpiration is { } sliding && (TimeToLive is null || sliding < TimeToLive) ? sliding : TimeToLive;

    /// <inheritdoc/>
    public bool Equals(CacheStoreEntryOptions other) => TimeToLive == other.TimeToLive && SlidingExpiration == other.SlidingExpiration;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is CacheStoreEntryOptions other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(TimeToLive, SlidingExpiration);

    /// <summary>Compares two options.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(CacheStoreEntryOptions left, CacheStoreEntryOptions right) => left.Equals(right);

    /// <summary>Compares two options.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(CacheStoreEntryOptions left, CacheStoreEntryOptions right) => !left.Equals(right);
}
