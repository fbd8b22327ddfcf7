using System.Text.Json;
using CacheSerial.Benchmarks.Model;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;

namespace CacheSerial.Benchmarks.Compare.Contenders;

/// <summary>What most code does without a facade: RedisCache byte arrays plus the same source-generated serializer.</summary>
public sealed class RedisCacheContender : ICacheContender
{
    private IDistributedCache? _cache;
    private DistributedCacheEntryOptions? _entryOptions;

    public string Name => "RedisCache + STJ";

    public string Description => "`IDistributedCache.GetAsync` on `RedisCache` + `JsonSerializer.Deserialize(bytes, ProductJsonContext.Default.Product)`; no stampede control";

    public ValueTask SetupAsync(ContenderEnvironment environment, CancellationToken cancellationToken)
    {
        _cache = RedisCaches.Create(environment);
        _entryOptions = RedisCaches.EntryOptions(environment);
        return ValueTask.CompletedTask;
    }

    public async ValueTask SetAsync(string key, Product value, CancellationToken cancellationToken) =>
        await Cache.SetAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, ProductJsonContext.Default.Product), _entryOptions!, cancellationToken);

    public async ValueTask<Product> HitAsync(string key, CancellationToken cancellationToken)
    {
        var bytes = await Cache.GetAsync(key, cancellationToken) ?? throw new UnexpectedMissException(Name, key);
        return JsonSerializer.Deserialize(bytes, ProductJsonContext.Default.Product)!;
    }

    public async ValueTask<Product> GetOrCreateAsync(string key, Func<CancellationToken, ValueTask<Product>> factory, CancellationToken cancellationToken)
    {
        var bytes = await Cache.GetAsync(key, cancellationToken);
        if (bytes is not null)
        {
            return JsonSerializer.Deserialize(bytes, ProductJsonContext.Default.Product)!;
        }

        var value = await factory(cancellationToken);
        await SetAsync(key, value, cancellationToken);
        return value;
    }

    // Not disposed: disposing a RedisCache closes the shared connection.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private IDistributedCache Cache => _cache ?? throw new InvalidOperationException("SetupAsync has not run.");
}
