using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CacheSerial.Benchmarks.Model;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Benchmarks.Compare.Contenders;

/// <summary>Microsoft.Extensions.Caching.Hybrid over RedisCache, with its local (L1) cache disabled or enabled.</summary>
public sealed class HybridCacheContender : ICacheContender
{
    private static readonly Func<Func<CancellationToken, ValueTask<Product>>, CancellationToken, ValueTask<Product>> Invoke =
        static (factory, ct) => factory(ct);

    private readonly bool _localCache;
    private readonly Func<string, CancellationToken, ValueTask<Product>> _missNotExpected;
    private ServiceProvider? _services;
    private HybridCache? _cache;
    private HybridCacheEntryOptions? _entryOptions;

    public HybridCacheContender(bool localCache)
    {
        _localCache = localCache;
        _missNotExpected = (key, _) => throw new UnexpectedMissException(Name, key); // allocated once, not per hit
    }

    public string Name => _localCache ? "HybridCache (local on)" : "HybridCache (distributed only)";

    public string Description =>
        "`HybridCache.GetOrCreateAsync` over `RedisCache`, `IHybridCacheSerializer<Product>` on `ProductJsonContext`" +
        (_localCache ? "; local cache on (hits are in-memory)" : "; `HybridCacheEntryFlags.DisableLocalCache`");

    public ValueTask SetupAsync(ContenderEnvironment environment, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IDistributedCache>(RedisCaches.Create(environment));
        _entryOptions = new HybridCacheEntryOptions
        {
            Expiration = environment.Expiration,
            LocalCacheExpiration = environment.Expiration,
            Flags = _localCache ? HybridCacheEntryFlags.None : HybridCacheEntryFlags.DisableLocalCache,
        };
        services.AddHybridCache(o => o.DefaultEntryOptions = _entryOptions)
            .AddSerializer(new HybridJsonSerializer<Product>(ProductJsonContext.Default.Product));
        _services = services.BuildServiceProvider();
        _cache = _services.GetRequiredService<HybridCache>();
        return ValueTask.CompletedTask;
    }

    public ValueTask SetAsync(string key, Product value, CancellationToken cancellationToken) =>
        Cache.SetAsync(key, value, _entryOptions, cancellationToken: cancellationToken);

    public ValueTask<Product> HitAsync(string key, CancellationToken cancellationToken) =>
        Cache.GetOrCreateAsync(key, key, _missNotExpected, _entryOptions, cancellationToken: cancellationToken);

    public ValueTask<Product> GetOrCreateAsync(string key, Func<CancellationToken, ValueTask<Product>> factory, CancellationToken cancellationToken) =>
        Cache.GetOrCreateAsync(key, factory, Invoke, _entryOptions, cancellationToken: cancellationToken);

    public ValueTask DisposeAsync() => _services?.DisposeAsync() ?? ValueTask.CompletedTask;

    private HybridCache Cache => _cache ?? throw new InvalidOperationException("SetupAsync has not run.");
}
