using CacheSerial.Internal;
using CacheSerial.TestSupport.Behaviour;
using CacheSerial.Tests.Behaviour;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Tests.Hybrid;

/// <summary>Which HybridCache <c>AsHybridCache()</c> registers, and how entry options are mapped.</summary>
public sealed class AsHybridCacheRegistrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AsHybridCache_KeyedCache_RegistersKeyedHybridCacheOverThatCache()
    {
        var services = new ServiceCollection();
        services.AddSingleton(InMemoryStores.Create());
        services.AddCacheSerial(o => o.KeyPrefix = "main");
        services.AddKeyedCacheSerial("orders", o => o.KeyPrefix = "orders").AsHybridCache();
        await using var provider = services.BuildServiceProvider();

        var hybrid = provider.GetRequiredKeyedService<HybridCache>("orders");
        await hybrid.SetAsync("k", new Sample("order", 1), cancellationToken: Ct);

        Assert.Null(provider.GetService<HybridCache>());
        Assert.Equal(new Sample("order", 1), (await provider.GetRequiredKeyedService<ITypedCache>("orders").TryGetAsync<Sample>("k", cancellationToken: Ct)).Value);
        Assert.False((await provider.GetRequiredService<ITypedCache>().TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task AsHybridCache_DefaultCacheWhenHybridCacheAlreadyRegistered_KeepsTheExistingOne()
    {
        var existing = new TypedHybridCache(new NullTypedCacheForRegistration());
        var services = new ServiceCollection();
        services.AddSingleton(InMemoryStores.Create());
        services.AddSingleton<HybridCache>(existing);
        services.AddCacheSerial().AsHybridCache();
        await using var provider = services.BuildServiceProvider();

        Assert.Same(existing, provider.GetRequiredService<HybridCache>());
    }

    [Fact]
    public void Map_SameOptionsInstance_ReturnsSameMappedInstance()
    {
        var options = new HybridCacheEntryOptions
        {
            Expiration = TimeSpan.FromMinutes(3),
            LocalCacheExpiration = TimeSpan.FromSeconds(5),
            Flags = HybridCacheEntryFlags.DisableDistributedCache | HybridCacheEntryFlags.DisableLocalCache,
        };

        var mapped = TypedHybridCache.Map(options);

        Assert.Same(mapped, TypedHybridCache.Map(options));
        Assert.Equal(
            new CacheEntryOptions
            {
                Expiration = TimeSpan.FromMinutes(3),
                LocalExpiration = TimeSpan.FromSeconds(5),
                Flags = CacheEntryFlags.SkipRead | CacheEntryFlags.SkipWrite | CacheEntryFlags.SkipLocalRead | CacheEntryFlags.SkipLocalWrite,
            },
            mapped);
    }

    [Fact]
    public void Map_NothingSet_ReturnsNullSoCacheDefaultsApply()
    {
        Assert.Null(TypedHybridCache.Map(new HybridCacheEntryOptions()));
        Assert.Null(TypedHybridCache.Map(null));
    }

    [Fact]
    public void Map_DisableCompression_SkipsCompression()
    {
        var mapped = TypedHybridCache.Map(new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableCompression });

        Assert.Equal(new CacheEntryOptions { Flags = CacheEntryFlags.SkipCompression }, mapped);
    }

    private sealed class NullTypedCacheForRegistration : ITypedCache
    {
        public ValueTask<CacheResult<T>> TryGetAsync<T>(string key, CacheEntryOptions? options = null, CancellationToken cancellationToken = default) => default;

        public ValueTask<T> GetOrCreateAsync<TState, T>(string key, TState state, Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default) => default;

        public ValueTask SetAsync<T>(string key, T value, CacheEntryOptions? options = null, CancellationToken cancellationToken = default) => default;

        public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default) => default;

        public ValueTask RefreshAsync(string key, CancellationToken cancellationToken = default) => default;

        public ValueTask RemoveByTagAsync(IEnumerable<string> tags, CancellationToken cancellationToken = default) => default;

        public ValueTask ClearAsync(CancellationToken cancellationToken = default) => default;

        public ValueTask<IReadOnlyList<CacheResult<T>>> GetManyAsync<T>(IReadOnlyList<string> keys, CacheEntryOptions? options = null, CancellationToken cancellationToken = default) => default;

        public ValueTask SetManyAsync<T>(IEnumerable<KeyValuePair<string, T>> entries, CacheEntryOptions? options = null, CancellationToken cancellationToken = default) => default;

        public ValueTask<IReadOnlyDictionary<string, T>> GetOrCreateManyAsync<TState, T>(IReadOnlyList<string> keys, TState state, Func<TState, IReadOnlyList<string>, CacheFactoryContext, CancellationToken, ValueTask<IReadOnlyDictionary<string, T>>> batchFactory, CacheEntryOptions? options = null, CancellationToken cancellationToken = default) => default;
    }
}
