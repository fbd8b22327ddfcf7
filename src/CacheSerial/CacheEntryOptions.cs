namespace CacheSerial;

/// <summary>
/// Immutable per-call entry options. A <see langword="null"/> member inherits
/// <see cref="CacheSerialOptions.DefaultEntryOptions"/>, with one rule for the lifetime: <see cref="Expiration"/>,
/// <see cref="AbsoluteExpiration"/> and <see cref="SlidingExpiration"/> are inherited as a group, so a call that sets
/// any of the three takes none of the others from the defaults.
/// </summary>
public sealed record CacheEntryOptions
{
    /// <summary>Time to live relative to the write. Exact to the millisecond (checked on read from the envelope).</summary>
    public TimeSpan? Expiration { get; init; }

    /// <summary>A fixed instant at which the entry expires. With <see cref="Expiration"/>, the earlier of the two wins.</summary>
    public DateTimeOffset? AbsoluteExpiration { get; init; }

    /// <summary>
    /// The entry expires when it has not been read or refreshed for this long. Kept by the store, so it has the store's
    /// resolution (whole seconds on Redis: rounded up). <see cref="Expiration"/> or <see cref="AbsoluteExpiration"/>, if set,
    /// caps the entry's total lifetime.
    /// </summary>
    public TimeSpan? SlidingExpiration { get; init; }

    /// <summary>Skip the store on read or on write for this call.</summary>
    public CacheEntryFlags? Flags { get; init; }

    internal bool HasLifetime => Expiration is not null || AbsoluteExpiration is not null || SlidingExpiration is not null;

    /// <summary>Throws when a member is out of range; called at the call site so the caller sees its own mistake.</summary>
    internal void Validate(string paramName)
    {
        if (Expiration is { } e && e <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, e, "CacheEntryOptions.Expiration must be positive.");
        }

        if (SlidingExpiration is { } s && s <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, s, "CacheEntryOptions.SlidingExpiration must be positive.");
        }

        if (Flags is { } f && (f & ~(CacheEntryFlags.SkipRead | CacheEntryFlags.SkipWrite)) != 0)
        {
            throw new ArgumentOutOfRangeException(paramName, f, "CacheEntryOptions.Flags has unknown bits.");
        }
    }
}

/// <summary>Per-call switches for the store.</summary>
[Flags]
public enum CacheEntryFlags
{
    /// <summary>Read and write the store as usual.</summary>
    None = 0,

    /// <summary>Do not read the store: reads are misses and get-or-create always runs the factory.</summary>
    SkipRead = 1,

    /// <summary>Do not write the store: values are returned but not stored.</summary>
    SkipWrite = 2,
}
