using System.Runtime.CompilerServices;
using Microsoft.Extensions.Caching.Hybrid;

namespace CacheSerial.Internal;

/// <summary>
/// <see cref="HybridCache"/> over an <see cref="ITypedCache"/>, so code written against Microsoft's abstraction gets
/// CacheSerial's envelope, codecs, stampede control and fail-safe. CacheSerial has no in-process tier and no tags: local
/// options are ignored, tags are accepted and not stored, and invalidation by tag throws.
/// </summary>
internal sealed class TypedHybridCache(ITypedCache cache) : HybridCache
{
    internal const string TagsNotSupportedMessage =
        "CacheSerial does not support tag invalidation: entries written with tags are stored without them, so nothing can be " +
        "removed by tag. Remove entries by key (RemoveAsync), or give them a short Expiration.";

    // HybridCacheEntryOptions is immutable (init-only), so one mapping per instance is enough; keeping the mapped
    // CacheEntryOptions instance also keeps CacheSerial's own per-instance resolution cache effective.
    private static readonly ConditionalWeakTable<HybridCacheEntryOptions, CacheEntryOptions> s_mapped = [];

    private readonly ITypedCache _cache = cache;

    public override ValueTask<T> GetOrCreateAsync<TState, T>(
        string key,
        TState state,
        Func<TState, CancellationToken, ValueTask<T>> factory,
        HybridCacheEntryOptions? options = null,
        IEnumerable<string>? tags = null,
        CancellationToken cancellationToken = default)
    {
        var mapped = Map(options);
        if (options?.Flags is { } flags && (flags & HybridCacheEntryFlags.DisableUnderlyingData) != 0)
        {
            // Callers pass a null factory here to use GetOrCreateAsync as a plain read; HybridCache allows it.
            return ReadOnlyAsync<T>(key, mapped, cancellationToken);
        }

        ArgumentNullException.ThrowIfNull(factory);

        return _cache.GetOrCreateAsync(
            key,
            (state, factory),
            static (s, _, ct) => s.factory(s.state, ct),
            mapped,
            cancellationToken);
    }

    public override ValueTask SetAsync<T>(
        string key,
        T value,
        HybridCacheEntryOptions? options = null,
        IEnumerable<string>? tags = null,
        CancellationToken cancellationToken = default) =>
        _cache.SetAsync(key, value, Map(options), cancellationToken);

    public override ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default) =>
        _cache.RemoveAsync(key, cancellationToken);

    public override async ValueTask RemoveAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default)
    {
        // The base class would do the same loop; kept here so the null-as-empty rule of the contract is explicit.
        foreach (var key in keys ?? [])
        {
            await _cache.RemoveAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    public override ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException(TagsNotSupportedMessage);

    public override ValueTask RemoveByTagAsync(IEnumerable<string> tags, CancellationToken cancellationToken = default) =>
        tags is null || !tags.Any() ? ValueTask.CompletedTask : throw new NotSupportedException(TagsNotSupportedMessage);

    /// <summary>
    /// Expiration maps to Expiration; the distributed read/write flags map to SkipRead/SkipWrite. Local-cache flags,
    /// LocalCacheExpiration and DisableCompression have nothing to act on (no local tier; compression is a cache-wide
    /// option) and are ignored.
    /// </summary>
    internal static CacheEntryOptions? Map(HybridCacheEntryOptions? options)
    {
        if (options is null || (options.Expiration is null && MapFlags(options.Flags) == CacheEntryFlags.None))
        {
            return null;
        }

        return s_mapped.GetValue(options, static o => new CacheEntryOptions
        {
            Expiration = o.Expiration,
            Flags = MapFlags(o.Flags) is var f && f != CacheEntryFlags.None ? f : null,
        });
    }

    private static CacheEntryFlags MapFlags(HybridCacheEntryFlags? flags)
    {
        var result = CacheEntryFlags.None;
        if (flags is { } f)
        {
            if ((f & HybridCacheEntryFlags.DisableDistributedCacheRead) != 0)
            {
                result |= CacheEntryFlags.SkipRead;
            }

            if ((f & HybridCacheEntryFlags.DisableDistributedCacheWrite) != 0)
            {
                result |= CacheEntryFlags.SkipWrite;
            }
        }

        return result;
    }

    // DisableUnderlyingData: HybridCache never calls the factory and returns default on a miss. A stale value (kept by
    // fail-safe past its expiry) is expired data, so it counts as a miss here too.
    private async ValueTask<T> ReadOnlyAsync<T>(string key, CacheEntryOptions? options, CancellationToken cancellationToken)
    {
        var result = await _cache.TryGetAsync<T>(key, options, cancellationToken).ConfigureAwait(false);
        return result.HasValue && !result.IsStale ? result.Value! : default!;
    }
}
