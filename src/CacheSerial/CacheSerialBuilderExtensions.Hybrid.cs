using CacheSerial;
using CacheSerial.Internal;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static partial class CacheSerialBuilderExtensions
{
    /// <summary>
    /// Registers a <see cref="HybridCache"/> that forwards to this cache's <see cref="ITypedCache"/>: unkeyed for the
    /// default cache (unless one is registered already), under the same service key for a keyed cache.
    /// </summary>
    /// <remarks>
    /// <para><see cref="HybridCacheEntryOptions.Expiration"/> becomes <see cref="CacheEntryOptions.Expiration"/>;
    /// <c>DisableDistributedCacheRead</c>/<c>Write</c> become <see cref="CacheEntryFlags.SkipRead"/>/<see cref="CacheEntryFlags.SkipWrite"/>;
    /// <c>DisableUnderlyingData</c> reads only and returns <see langword="default"/> on a miss.</para>
    /// <para>CacheSerial has no in-process tier: <see cref="HybridCacheEntryOptions.LocalCacheExpiration"/> and the
    /// local-cache flags are ignored, as is <c>DisableCompression</c> (compression is set per cache).</para>
    /// <para>CacheSerial has no tags: tags passed on writes are ignored (the entry is stored normally) and
    /// <see cref="HybridCache.RemoveByTagAsync(string, CancellationToken)"/> throws <see cref="NotSupportedException"/>,
    /// because silently keeping entries a caller asked to invalidate would serve stale data.</para>
    /// </remarks>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static ICacheSerialBuilder AsHybridCache(this ICacheSerialBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (BuilderNames.IsDefault(builder))
        {
            builder.Services.TryAddSingleton<HybridCache>(sp => new TypedHybridCache(sp.GetRequiredService<ITypedCache>()));
        }
        else
        {
            var name = builder.Name;
            builder.Services.TryAddKeyedSingleton<HybridCache>(
                name, (sp, _) => new TypedHybridCache(sp.GetRequiredKeyedService<ITypedCache>(name)));
        }

        return builder;
    }
}
