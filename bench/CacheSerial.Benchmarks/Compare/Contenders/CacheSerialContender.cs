using CacheSerial.Benchmarks.Model;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Benchmarks.Compare.Contenders;

/// <summary>CacheSerial's <see cref="ITypedCache"/> over RedisCache (the IDistributedCache path), JSON or MessagePack.</summary>
public sealed class CacheSerialContender : ICacheContender, IBulkReadContender
{
    private static readonly Func<Func<CancellationToken, ValueTask<Product>>, CacheFactoryContext, CancellationToken, ValueTask<Product>> Invoke =
        static (factory, _, ct) => factory(ct);

    private readonly Func<string, CacheFactoryContext, CancellationToken, ValueTask<Product>> _missNotExpected;
    private ServiceProvider? _services;
    private readonly CacheSerialCodec _codec;
    private ITypedCache? _cache;

    public CacheSerialContender(CacheSerialCodec codec)
    {
        _codec = codec;
        _missNotExpected = (key, _, _) => throw new UnexpectedMissException(Name, key); // allocated once, not per hit
    }

    public string Name => _codec == CacheSerialCodec.Json ? "CacheSerial JSON" : "CacheSerial MessagePack";

    public string Description => _codec == CacheSerialCodec.Json
        ? "`ITypedCache.GetOrCreateAsync` over `RedisCache`, `SystemTextJsonCodec(ProductJsonContext.Default)`"
        : "`ITypedCache.GetOrCreateAsync` over `RedisCache`, `MessagePackCodec` (attributed type)";

    public ValueTask SetupAsync(ContenderEnvironment environment, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IDistributedCache>(RedisCaches.Create(environment));
        var builder = services.AddCacheSerial(o => o.DefaultEntryOptions = new CacheEntryOptions { Expiration = environment.Expiration });
        if (_codec == CacheSerialCodec.Json)
        {
            builder.UseSystemTextJson(ProductJsonContext.Default);
        }
        else
        {
            builder.UseMessagePack();
        }

        _services = services.BuildServiceProvider();
        _cache = _services.GetRequiredService<ITypedCache>();
        return ValueTask.CompletedTask;
    }

    public ValueTask SetAsync(string key, Product value, CancellationToken cancellationToken) =>
        Cache.SetAsync(key, value, cancellationToken: cancellationToken);

    public ValueTask<Product> HitAsync(string key, CancellationToken cancellationToken) =>
        Cache.GetOrCreateAsync(key, key, _missNotExpected, cancellationToken: cancellationToken);

    public ValueTask<Product> GetOrCreateAsync(string key, Func<CancellationToken, ValueTask<Product>> factory, CancellationToken cancellationToken) =>
        Cache.GetOrCreateAsync(key, factory, Invoke, cancellationToken: cancellationToken);

    public async ValueTask<int> GetManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var results = await Cache.GetManyAsync<Product>(keys, cancellationToken: cancellationToken).ConfigureAwait(false);
        var hits = 0;
        foreach (var result in results)
        {
            hits += result.HasValue ? 1 : 0;
        }

        return hits;
    }

    public ValueTask DisposeAsync() => _services?.DisposeAsync() ?? ValueTask.CompletedTask;

    private ITypedCache Cache => _cache ?? throw new InvalidOperationException("SetupAsync has not run.");
}

/// <summary>The codec a <see cref="CacheSerialContender"/> uses.</summary>
public enum CacheSerialCodec
{
    Json,
    MessagePack,
}
