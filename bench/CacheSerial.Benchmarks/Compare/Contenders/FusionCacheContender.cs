using CacheSerial.Benchmarks.Model;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace CacheSerial.Benchmarks.Compare.Contenders;

/// <summary>FusionCache over RedisCache as its distributed level, with its memory level skipped or in use.</summary>
public sealed class FusionCacheContender : ICacheContender
{
    private readonly bool _memory;
    private readonly Func<FusionCacheFactoryExecutionContext<Product>, CancellationToken, Task<Product>> _missNotExpected;
    private FusionCache? _cache;
    private FusionCacheEntryOptions? _entryOptions;

    public FusionCacheContender(bool memory)
    {
        _memory = memory;
        _missNotExpected = (_, _) => throw new UnexpectedMissException(Name, "(FusionCache factories do not see the key)");
    }

    public string Name => _memory ? "FusionCache (memory on)" : "FusionCache (distributed only)";

    public string Description =>
        "`FusionCache.GetOrSetAsync` over `RedisCache`, `FusionCacheSystemTextJsonSerializer(ProductJsonContext.Default.Options)`" +
        (_memory ? "; memory level on (hits are in-memory)" : "; `SkipMemoryCacheRead` and `SkipMemoryCacheWrite`");

    public ValueTask SetupAsync(ContenderEnvironment environment, CancellationToken cancellationToken)
    {
        _entryOptions = new FusionCacheEntryOptions
        {
            Duration = environment.Expiration,
            SkipMemoryCacheRead = !_memory,
            SkipMemoryCacheWrite = !_memory,
        };
        _cache = new FusionCache(new FusionCacheOptions { DefaultEntryOptions = _entryOptions });
        _cache.SetupDistributedCache(
            RedisCaches.Create(environment),
            new FusionCacheSystemTextJsonSerializer(ProductJsonContext.Default.Options));
        return ValueTask.CompletedTask;
    }

    public ValueTask SetAsync(string key, Product value, CancellationToken cancellationToken) =>
        Cache.SetAsync(key, value, _entryOptions, token: cancellationToken);

    public ValueTask<Product> HitAsync(string key, CancellationToken cancellationToken) =>
        Cache.GetOrSetAsync(key, _missNotExpected, default, _entryOptions, tags: null, cancellationToken);

    // FusionCache's factory takes no state: this closure is part of what its callers pay.
    public ValueTask<Product> GetOrCreateAsync(string key, Func<CancellationToken, ValueTask<Product>> factory, CancellationToken cancellationToken) =>
        Cache.GetOrSetAsync<Product>(key, (_, ct) => factory(ct).AsTask(), default, _entryOptions, tags: null, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _cache?.Dispose();
        return ValueTask.CompletedTask;
    }

    private FusionCache Cache => _cache ?? throw new InvalidOperationException("SetupAsync has not run.");
}
