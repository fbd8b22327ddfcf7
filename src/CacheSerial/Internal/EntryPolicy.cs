using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.Internal;

/// <summary>
/// Per-call options merged with the defaults, and the one home of the lifetime computation: the exact logical expiry
/// written into the envelope and the (whole-second, never shorter) physical expiry handed to the store.
/// </summary>
internal readonly struct EntryPolicy
{
    private EntryPolicy(TimeSpan? expiration, DateTimeOffset? absolute, TimeSpan? sliding, CacheEntryFlags flags)
    {
        Expiration = expiration;
        AbsoluteExpiration = absolute;
        SlidingExpiration = sliding;
        Flags = flags;
    }

    public TimeSpan? Expiration { get; }

    public DateTimeOffset? AbsoluteExpiration { get; }

    public TimeSpan? SlidingExpiration { get; }

    public CacheEntryFlags Flags { get; }

    public bool SkipRead => (Flags & CacheEntryFlags.SkipRead) != 0;

    public bool SkipWrite => (Flags & CacheEntryFlags.SkipWrite) != 0;

    /// <summary>Merges per-call options over validated defaults; the lifetime trio is inherited as a group.</summary>
    public static EntryPolicy Resolve(CacheEntryOptions? call, CacheEntryOptions defaults)
    {
        if (call is null)
        {
            return new EntryPolicy(defaults.Expiration, defaults.AbsoluteExpiration, defaults.SlidingExpiration, defaults.Flags ?? CacheEntryFlags.None);
        }

        call.Validate(nameof(call));
        var lifetime = call.HasLifetime ? call : defaults;
        return new EntryPolicy(
            lifetime.Expiration,
            lifetime.AbsoluteExpiration,
            lifetime.SlidingExpiration,
            call.Flags ?? defaults.Flags ?? CacheEntryFlags.None);
    }

    public CacheFactoryContext CreateContext(string key) =>
        new(key, Expiration, AbsoluteExpiration, SlidingExpiration);

    /// <summary>The factory's choices; when it cleared every lifetime member, this policy's lifetime stays.</summary>
    public EntryPolicy With(CacheFactoryContext context) =>
        context.Expiration is null && context.AbsoluteExpiration is null && context.SlidingExpiration is null
            ? this
            : new EntryPolicy(context.Expiration, context.AbsoluteExpiration, context.SlidingExpiration, Flags);

    /// <summary>
    /// Computes the logical expiry (unix ms, 0 when only sliding) and the store's options. Returns false when the entry
    /// would already be expired, so it must not be written.
    /// </summary>
    public bool TryGetLifetime(DateTimeOffset now, out long expiresAtMs, out DistributedCacheEntryOptions storeOptions)
    {
        DateTimeOffset? expiresAt = AbsoluteExpiration;
        if (Expiration is { } relative)
        {
            var candidate = now + relative;
            expiresAt = expiresAt is { } absolute && absolute < candidate ? absolute : candidate;
        }

        storeOptions = new DistributedCacheEntryOptions();
        expiresAtMs = 0;
        if (expiresAt is { } at)
        {
            var remaining = at - now;
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            expiresAtMs = at.ToUnixTimeMilliseconds();

            // RedisCache truncates to whole seconds (500 ms would delete at once); the envelope keeps the exact expiry.
            storeOptions.AbsoluteExpirationRelativeToNow = CeilingSeconds(remaining);
        }

        if (SlidingExpiration is { } sliding)
        {
            storeOptions.SlidingExpiration = CeilingSeconds(sliding);
        }

        return true;
    }

    private static TimeSpan CeilingSeconds(TimeSpan value) =>
        TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(value.TotalSeconds)));
}
