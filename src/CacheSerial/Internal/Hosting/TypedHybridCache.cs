using System.Runtime.CompilerServices;
using Microsoft.Extensions.Caching.Hybrid;

namespace CacheSerial.Internal;

/// <summary>
/// <see cref="HybridCache"/> over an <see cref="ITypedCache"/>, so code written against Microsoft's abstraction gets
/// CacheSerial's envelope, codecs, stampede control, fail-safe, memory tier and tags: tags map to
/// <see cref="CacheEntryOptions.Tags"/>, <see cref="RemoveByTagAsync(string, CancellationToken)"/> to
/// <see cref="ITypedCache.RemoveByTagAsync"/>, and its wildcard tag <c>*</c> to <see cref="ITypedCache.ClearAsync"/>.
/// </summary>
internal sealed class TypedHybridCache(ITypedCache cache) : HybridCache
{
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
        var mapped = WithTags(Map(options), tags);
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
        _cache.SetAsync(key, value, WithTags(Map(options), tags), cancellationToken);

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
        tag == TagRules.Wildcard ? _cache.ClearAsync(cancellationToken) : _cache.RemoveByTagAsync(tag, cancellationToken);

    public override async ValueTask RemoveByTagAsync(IEnumerable<string> tags, CancellationToken cancellationToken = default)
    {
        // Null is empty, as in HybridCache; the wildcard anywhere in the list clears the whole cache.
        var list = tags?.ToList() ?? [];
        if (list.Contains(TagRules.Wildcard, StringComparer.Ordinal))
        {
            await _cache.ClearAsync(cancellationToken).ConfigureAwait(false);
            list.RemoveAll(t => t == TagRules.Wildcard);
        }

        if (list.Count > 0)
        {
            await _cache.RemoveByTagAsync(list, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Expiration maps to Expiration, LocalCacheExpiration to LocalExpiration; the distributed and local read/write flags
    /// map to SkipRead/SkipWrite and SkipLocalRead/SkipLocalWrite, DisableCompression to SkipCompression.
    /// </summary>
    internal static CacheEntryOptions? Map(HybridCacheEntryOptions? options)
    {
        if (options is null || (options.Expiration is null && options.LocalCacheExpiration is null && MapFlags(options.Flags) == CacheEntryFlags.None))
        {
            return null;
        }

        return s_mapped.GetValue(options, static o => new CacheEntryOptions
        {
            Expiration = o.Expiration,
            LocalExpiration = o.LocalCacheExpiration,
            Flags = MapFlags(o.Flags) is var f && f != CacheEntryFlags.None ? f : null,
        });
    }

    /// <summary>The call's tags on top of its mapped options (a new options instance per tagged call: tags vary per call).</summary>
    private static CacheEntryOptions? WithTags(CacheEntryOptions? mapped, IEnumerable<string>? tags)
    {
        if (tags is null)
        {
            return mapped;
        }

        var list = tags as IReadOnlyList<string> ?? [.. tags];
        return list.Count == 0 ? mapped : (mapped ?? Untagged) with { Tags = list };
    }

    private static readonly CacheEntryOptions Untagged = new();

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

            if ((f & HybridCacheEntryFlags.DisableLocalCacheRead) != 0)
            {
                result |= CacheEntryFlags.SkipLocalRead;
            }

            if ((f & HybridCacheEntryFlags.DisableLocalCacheWrite) != 0)
            {
                result |= CacheEntryFlags.SkipLocalWrite;
            }

            // HybridCache documents this flag but its default implementation ignores it (dotnet/extensions#6594); here it works.
            if ((f & HybridCacheEntryFlags.DisableCompression) != 0)
            {
                result |= CacheEntryFlags.SkipCompression;
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
