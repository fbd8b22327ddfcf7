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
    /// <para><see cref="HybridCacheEntryOptions.Expiration"/> becomes <see cref="CacheEntryOptions.Expiration"/> and
    /// <see cref="HybridCacheEntryOptions.LocalCacheExpiration"/> <see cref="CacheEntryOptions.LocalExpiration"/>;
    /// <c>DisableDistributedCacheRead</c>/<c>Write</c> become <see cref="CacheEntryFlags.SkipRead"/>/<see cref="CacheEntryFlags.SkipWrite"/>
    /// and <c>DisableLocalCacheRead</c>/<c>Write</c> <see cref="CacheEntryFlags.SkipLocalRead"/>/<see cref="CacheEntryFlags.SkipLocalWrite"/>;
    /// <c>DisableUnderlyingData</c> reads only and returns <see langword="default"/> on a miss. <c>DisableCompression</c>
    /// becomes <see cref="CacheEntryFlags.SkipCompression"/> (the value is stored uncompressed even when
    /// <see cref="CacheSerialOptions.Compression"/> is on).</para>
    /// <para>Tags passed on writes become <see cref="CacheEntryOptions.Tags"/>;
    /// <see cref="HybridCache.RemoveByTagAsync(string, CancellationToken)"/> calls <see cref="ITypedCache.RemoveByTagAsync"/>,
    /// across processes (HybridCache's own removal is per process), and its wildcard tag <c>*</c> calls
    /// <see cref="ITypedCache.ClearAsync"/>.</para>
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
