namespace CacheSerial;

/// <summary>
/// Immutable per-call entry options. A <see langword="null"/> member inherits
/// <see cref="CacheSerialOptions.DefaultEntryOptions"/>, with one rule for the lifetime: <see cref="Expiration"/>,
/// <see cref="AbsoluteExpiration"/> and <see cref="SlidingExpiration"/> are inherited as a group, so a call that sets
/// any of the three takes none of the others from the defaults. Every other member is inherited on its own.
/// </summary>
/// <remarks>
/// Options are resolved once per instance and remembered, so keep an instance in a static field when a call site uses
/// the same options every time: the call then allocates nothing for them.
/// </remarks>
public sealed record CacheEntryOptions
{
    /// <summary>The default for <see cref="FailSafeMaxDuration"/>: one hour.</summary>
    public static readonly TimeSpan DefaultFailSafeMaxDuration = TimeSpan.FromHours(1);

    /// <summary>The default for <see cref="FailSafeThrottleDuration"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultFailSafeThrottleDuration = TimeSpan.FromSeconds(30);

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

    /// <summary>
    /// Lengthens each entry's lifetime by a random amount between zero and this, so entries written together do not
    /// expire (and regenerate) together. Zero or <see langword="null"/>: no jitter.
    /// </summary>
    public TimeSpan? Jitter { get; init; }

    /// <summary>
    /// Keeps an entry in the store for <see cref="FailSafeMaxDuration"/> past its expiry, so that when the factory fails
    /// or times out the expired (stale) value is served instead of an error. A stale value is never served while the
    /// factory succeeds. Does not apply to entries with only a <see cref="SlidingExpiration"/>. Default: off.
    /// </summary>
    public bool? FailSafe { get; init; }

    /// <summary>How long past its expiry a fail-safe entry is kept as a fallback. Default: <see cref="DefaultFailSafeMaxDuration"/>.</summary>
    public TimeSpan? FailSafeMaxDuration { get; init; }

    /// <summary>
    /// After the factory of a key failed and a stale value was served, this process serves the stale value for this long
    /// without calling the factory again. Default: <see cref="DefaultFailSafeThrottleDuration"/>.
    /// </summary>
    public TimeSpan? FailSafeThrottleDuration { get; init; }

    /// <summary>
    /// When a stale value exists, a caller waits this long for the factory and then gets the stale value; the factory
    /// finishes in the background and its result is stored. Ignored when there is no stale value. Default: none.
    /// </summary>
    public TimeSpan? FactorySoftTimeout { get; init; }

    /// <summary>
    /// The longest a caller waits for the factory. Then it gets the stale value if there is one, else a
    /// <see cref="CacheFactoryTimeoutException"/>; the factory finishes in the background and its result is stored.
    /// Default: none.
    /// </summary>
    public TimeSpan? FactoryHardTimeout { get; init; }

    /// <summary>
    /// A fraction of the lifetime, strictly between 0 and 1 (for example 0.8): a get-or-create hit on an entry older than
    /// this returns the value at once and starts one background refresh of the key. Default: none.
    /// </summary>
    public double? EagerRefreshThreshold { get; init; }

    /// <summary>
    /// The lifetime of a negative result (the factory set <see cref="CacheFactoryContext.IsNegative"/>), such as a cached
    /// "not found". Default: the entry's normal lifetime.
    /// </summary>
    public TimeSpan? NegativeExpiration { get; init; }

    /// <summary>
    /// How long the memory tier (<c>UseMemoryTier</c>) keeps this entry, counted from when it enters memory, never past
    /// the entry's own expiry. Default: <see cref="MemoryTierOptions.LocalExpiration"/>. Without a memory tier, ignored.
    /// </summary>
    public TimeSpan? LocalExpiration { get; init; }

    /// <summary>Skip the cache, or only its memory tier, on read or on write for this call.</summary>
    public CacheEntryFlags? Flags { get; init; }

    /// <summary>
    /// Tags of the entries this call writes, for <see cref="ITypedCache.RemoveByTagAsync(IEnumerable{string}, CancellationToken)"/>
    /// to drop them together. At most <see cref="MaximumTagCount"/> distinct tags, each 1 to <see cref="MaximumTagLength"/>
    /// characters without control characters, and not <c>*</c> (use <see cref="ITypedCache.ClearAsync"/>). A get-or-create
    /// factory may add its own (<see cref="CacheFactoryContext.Tags"/>). Reads ignore it. Default: none.
    /// </summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>The most tags one entry may carry.</summary>
    public const int MaximumTagCount = 64;

    /// <summary>The longest tag, in UTF-16 characters.</summary>
    public const int MaximumTagLength = 256;

    internal bool HasLifetime => Expiration is not null || AbsoluteExpiration is not null || SlidingExpiration is not null;

    /// <summary>Throws when a member is out of range; called at the call site so the caller sees its own mistake.</summary>
    internal void Validate(string paramName)
    {
        Positive(Expiration, nameof(Expiration), paramName);
        Positive(SlidingExpiration, nameof(SlidingExpiration), paramName);
        Positive(FailSafeMaxDuration, nameof(FailSafeMaxDuration), paramName);
        Positive(FailSafeThrottleDuration, nameof(FailSafeThrottleDuration), paramName);
        Positive(FactorySoftTimeout, nameof(FactorySoftTimeout), paramName);
        Positive(FactoryHardTimeout, nameof(FactoryHardTimeout), paramName);
        Positive(NegativeExpiration, nameof(NegativeExpiration), paramName);
        Positive(LocalExpiration, nameof(LocalExpiration), paramName);

        if (Jitter is { } j && j < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, j, "CacheEntryOptions.Jitter must not be negative.");
        }

        if (FactorySoftTimeout is { } soft && FactoryHardTimeout is { } hard && soft >= hard)
        {
            throw new ArgumentOutOfRangeException(
                paramName, soft, $"CacheEntryOptions.FactorySoftTimeout ({soft}) must be shorter than FactoryHardTimeout ({hard}).");
        }

        if (EagerRefreshThreshold is { } t && !(t > 0 && t < 1))
        {
            throw new ArgumentOutOfRangeException(
                paramName, t, "CacheEntryOptions.EagerRefreshThreshold must be a fraction strictly between 0 and 1.");
        }

        if (Flags is { } f && (f & ~(CacheEntryFlags.SkipRead | CacheEntryFlags.SkipWrite | CacheEntryFlags.SkipLocalRead | CacheEntryFlags.SkipLocalWrite | CacheEntryFlags.SkipCompression)) != 0)
        {
            throw new ArgumentOutOfRangeException(paramName, f, "CacheEntryOptions.Flags has unknown bits.");
        }

        if (Tags is { } tags)
        {
            Internal.TagRules.Normalize(tags, paramName);
        }
    }

    private static void Positive(TimeSpan? value, string member, string paramName)
    {
        if (value is { } v && v <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(paramName, v, $"CacheEntryOptions.{member} must be positive.");
        }
    }
}
