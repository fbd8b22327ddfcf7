namespace CacheSerial.Internal;

/// <summary>
/// Per-call options merged with the defaults, and the one home of the lifetime computation: the exact logical expiry
/// written into the envelope and the (whole-second, never shorter) physical expiry handed to the store, which fail-safe
/// lengthens so the stale value survives its expiry; and of the freshness judgement of a stored entry (<see cref="Judge"/>).
/// </summary>
internal sealed class EntryPolicy
{
    private EntryPolicy(CacheEntryOptions lifetime, CacheEntryOptions call, CacheEntryOptions defaults)
    {
        Expiration = lifetime.Expiration;
        AbsoluteExpiration = lifetime.AbsoluteExpiration;
        SlidingExpiration = lifetime.SlidingExpiration;
        Flags = call.Flags ?? defaults.Flags ?? CacheEntryFlags.None;
        Jitter = call.Jitter ?? defaults.Jitter ?? TimeSpan.Zero;
        FailSafe = call.FailSafe ?? defaults.FailSafe ?? false;
        FailSafeMaxDuration = call.FailSafeMaxDuration ?? defaults.FailSafeMaxDuration ?? CacheEntryOptions.DefaultFailSafeMaxDuration;
        FailSafeThrottleDuration = call.FailSafeThrottleDuration ?? defaults.FailSafeThrottleDuration ?? CacheEntryOptions.DefaultFailSafeThrottleDuration;
        FactorySoftTimeout = call.FactorySoftTimeout ?? defaults.FactorySoftTimeout;
        FactoryHardTimeout = call.FactoryHardTimeout ?? defaults.FactoryHardTimeout;
        EagerRefreshThreshold = call.EagerRefreshThreshold ?? defaults.EagerRefreshThreshold;
        NegativeExpiration = call.NegativeExpiration ?? defaults.NegativeExpiration;
        LocalExpiration = call.LocalExpiration ?? defaults.LocalExpiration;
        Tags = call.Tags is { } tags ? TagRules.Normalize(tags, "options") : defaults.Tags is { } inherited ? TagRules.Normalize(inherited, "options") : null;
        _takesLocalHitAsIs = !SkipLocalRead && EagerRefreshThreshold is null;
        if (FactorySoftTimeout >= FactoryHardTimeout)
        {
            FactorySoftTimeout = null; // inherited separately: a soft timeout at or past the hard one never fires first
        }
    }

    private EntryPolicy(EntryPolicy source, CacheFactoryContext context, long datedAtMs)
    {
        DatedAtMs = datedAtMs;
        var keepLifetime = context.Expiration is null && context.AbsoluteExpiration is null && context.SlidingExpiration is null;
        Expiration = keepLifetime ? source.Expiration : context.Expiration;
        AbsoluteExpiration = keepLifetime ? source.AbsoluteExpiration : context.AbsoluteExpiration;
        SlidingExpiration = keepLifetime ? source.SlidingExpiration : context.SlidingExpiration;
        if (context.IsNegative && source.NegativeExpiration is { } negative)
        {
            Expiration = negative;
            AbsoluteExpiration = null;
            SlidingExpiration = null;
        }

        Flags = source.Flags;
        Jitter = source.Jitter;
        FailSafe = context.FailSafe;
        FailSafeMaxDuration = context.FailSafeMaxDuration;
        FailSafeThrottleDuration = source.FailSafeThrottleDuration;
        FactorySoftTimeout = source.FactorySoftTimeout;
        FactoryHardTimeout = source.FactoryHardTimeout;
        EagerRefreshThreshold = source.EagerRefreshThreshold;
        NegativeExpiration = source.NegativeExpiration;
        LocalExpiration = source.LocalExpiration;
        IsNegative = context.IsNegative;
        Tags = context.FinalTags;
        _takesLocalHitAsIs = source._takesLocalHitAsIs;
    }

    private readonly bool _takesLocalHitAsIs;

    public TimeSpan? Expiration { get; }

    public DateTimeOffset? AbsoluteExpiration { get; }

    public TimeSpan? SlidingExpiration { get; }

    public CacheEntryFlags Flags { get; }

    public TimeSpan Jitter { get; }

    public bool FailSafe { get; }

    public TimeSpan FailSafeMaxDuration { get; }

    public TimeSpan FailSafeThrottleDuration { get; }

    public TimeSpan? FactorySoftTimeout { get; }

    public TimeSpan? FactoryHardTimeout { get; }

    public double? EagerRefreshThreshold { get; }

    public TimeSpan? NegativeExpiration { get; }

    /// <summary>The memory tier's lifetime for this call's entries; null for the tier's default.</summary>
    public TimeSpan? LocalExpiration { get; }

    /// <summary>The tags of the entries written under this policy (distinct, checked); null for none.</summary>
    public string[]? Tags { get; }

    /// <summary>The entry written under this policy is a negative result.</summary>
    public bool IsNegative { get; }

    /// <summary>
    /// The creation time (Unix ms) to write instead of the write's own, 0 for none: a factory's result is as old as the
    /// data it read, so a tag removal or clear made while the factory ran covers it.
    /// </summary>
    public long DatedAtMs { get; }

    public bool SkipRead => (Flags & CacheEntryFlags.SkipRead) != 0;

    public bool SkipWrite => (Flags & CacheEntryFlags.SkipWrite) != 0;

    /// <summary>The memory tier is not read (the whole cache is not read, or only memory is skipped).</summary>
    public bool SkipLocalRead => (Flags & (CacheEntryFlags.SkipRead | CacheEntryFlags.SkipLocalRead)) != 0;

    /// <summary>Whether a fresh memory hit is returned as it is (memory is read and no eager refresh can be due).</summary>
    public bool TakesLocalHitAsIs => _takesLocalHitAsIs;

    /// <summary>The value is stored uncompressed whatever the cache's compression.</summary>
    public bool SkipCompression => (Flags & CacheEntryFlags.SkipCompression) != 0;

    /// <summary>Nothing is kept in the memory tier.</summary>
    public bool SkipLocalWrite => (Flags & (CacheEntryFlags.SkipWrite | CacheEntryFlags.SkipLocalWrite)) != 0;

    /// <summary>Merges per-call options over validated defaults; the lifetime trio is inherited as a group.</summary>
    public static EntryPolicy Create(CacheEntryOptions? call, CacheEntryOptions defaults)
    {
        if (call is null)
        {
            return new EntryPolicy(defaults, defaults, defaults);
        }

        call.Validate("options"); // the caller's parameter: every ITypedCache method names its CacheEntryOptions 'options'
        return new EntryPolicy(call.HasLifetime ? call : defaults, call, defaults);
    }

    /// <summary>
    /// An entry's freshness at <paramref name="nowMs"/>: fresh before its logical expiry (and <paramref name="refreshDue"/>
    /// once past the eager-refresh threshold of its lifetime), stale after it under fail-safe, else a miss.
    /// </summary>
    public ReadState Judge(long createdAtMs, long expiresAtMs, long nowMs, out bool refreshDue)
    {
        refreshDue = false;
        if (expiresAtMs == 0)
        {
            return ReadState.Fresh;
        }

        if (nowMs >= expiresAtMs)
        {
            return FailSafe ? ReadState.Stale : ReadState.Miss;
        }

        if (EagerRefreshThreshold is { } threshold)
        {
            refreshDue = nowMs >= createdAtMs + (long)((expiresAtMs - createdAtMs) * threshold);
        }

        return ReadState.Fresh;
    }

    public CacheFactoryContext CreateContext(string key, bool hasStaleValue, object? staleValue) =>
        new(key, Expiration, AbsoluteExpiration, SlidingExpiration, FailSafe, FailSafeMaxDuration, hasStaleValue, staleValue, Tags);

    /// <summary>
    /// The factory's choices; when it cleared every lifetime member, this policy's lifetime stays. The result is dated
    /// <paramref name="startedAtMs"/> (0: at its write), when the factory began reading its data (see <see cref="DatedAtMs"/>).
    /// </summary>
    public EntryPolicy With(CacheFactoryContext context, long startedAtMs) => new(this, context, startedAtMs);

    /// <summary>
    /// Computes the logical expiry (unix ms, 0 when only sliding) and the store's options. Returns false when the entry
    /// would already be expired, so it must not be written.
    /// </summary>
    public bool TryGetLifetime(DateTimeOffset now, out long expiresAtMs, out CacheStoreEntryOptions storeOptions) =>
        TryGetLifetime(now, allowFailSafe: true, tagMarkerLifetime: null, out expiresAtMs, out storeOptions);

    // allowFailSafe is false for layouts without a logical expiry: keeping the bytes longer would serve them as fresh.
    // tagMarkerLifetime caps the store lifetime of a tagged entry from its date (DatedAtMs, else now), so it never outlives
    // the markers that invalidate it.
    public bool TryGetLifetime(DateTimeOffset now, bool allowFailSafe, TimeSpan? tagMarkerLifetime, out long expiresAtMs, out CacheStoreEntryOptions storeOptions)
    {
        DateTimeOffset? expiresAt = AbsoluteExpiration;
        if (Expiration is { } relative)
        {
            if (Jitter > TimeSpan.Zero)
            {
                relative += TimeSpan.FromTicks(Random.Shared.NextInt64(Jitter.Ticks + 1));
            }

            var candidate = now + relative;
            expiresAt = expiresAt is { } absolute && absolute < candidate ? absolute : candidate;
        }

        expiresAtMs = 0;
        TimeSpan? timeToLive = null;
        if (expiresAt is { } at)
        {
            var remaining = at - now;
            if (remaining <= TimeSpan.Zero)
            {
                storeOptions = default;
                return false;
            }

            expiresAtMs = at.ToUnixTimeMilliseconds();

            // Fail-safe keeps the bytes past the logical expiry (which the envelope holds) so a stale value can be served.
            timeToLive = FailSafe && allowFailSafe ? remaining + FailSafeMaxDuration : remaining;
        }

        if (Tags is not null && tagMarkerLifetime is { } cap)
        {
            // Counted from the entry's date: a factory result dated before a removal expires before that removal's marker.
            var nowMs = now.ToUnixTimeMilliseconds();
            if (DatedAtMs != 0 && DatedAtMs < nowMs)
            {
                cap -= TimeSpan.FromMilliseconds(nowMs - DatedAtMs);
                if (cap <= TimeSpan.Zero)
                {
                    storeOptions = default;
                    return false;
                }
            }

            if (timeToLive is null || timeToLive > cap)
            {
                timeToLive = cap;
            }
        }

        storeOptions = new CacheStoreEntryOptions(timeToLive, SlidingExpiration);
        return true;
    }
}
