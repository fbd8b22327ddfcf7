using CacheSerial.Benchmarks.Model;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Benchmarks.Compare.Contenders;

/// <summary>
/// CacheSerial's <see cref="ITypedCache"/>, JSON or MessagePack, over RedisCache (the IDistributedCache path) or the
/// native Redis store (with or without its distributed lock), with or without the memory tier.
/// </summary>
public sealed class CacheSerialContender : ICacheContender, IBulkReadContender
{
    private static readonly Func<Func<CancellationToken, ValueTask<Product>>, CacheFactoryContext, CancellationToken, ValueTask<Product>> Invoke =
        static (factory, _, ct) => factory(ct);

    private readonly Func<string, CacheFactoryContext, CancellationToken, ValueTask<Product>> _missNotExpected;
    private ServiceProvider? _services;
    private readonly CacheSerialCodec _codec;
    private readonly CacheSerialStore _store;
    private readonly CacheSerialMemory _memory;
    private ITypedCache? _cache;

    public CacheSerialContender(CacheSerialCodec codec, CacheSerialStore store = CacheSerialStore.DistributedCache, CacheSerialMemory memory = CacheSerialMemory.Off)
    {
        _codec = codec;
        _store = store;
        _memory = memory;
        _missNotExpected = (key, _, _) => throw new UnexpectedMissException(Name, key); // allocated once, not per hit
    }

    public string Name => (_store switch
    {
        CacheSerialStore.DistributedCache => _codec == CacheSerialCodec.Json ? "CacheSerial JSON" : "CacheSerial MessagePack",
        CacheSerialStore.Native => _codec == CacheSerialCodec.Json ? NativeJsonName : "CacheSerial native MessagePack",
        _ => "CacheSerial native JSON + lock",
    }) + _memory switch
    {
        CacheSerialMemory.Decoded => " + memory",
        CacheSerialMemory.Shared => " + memory (shared)",
        _ => "",
    };

    /// <summary>The native store's JSON row, which the report's headline compares with the peers.</summary>
    public const string NativeJsonName = "CacheSerial native JSON";

    public string Description =>
        "`ITypedCache.GetOrCreateAsync` over " + _store switch
        {
            CacheSerialStore.DistributedCache => "`RedisCache`",
            CacheSerialStore.Native => "the native store (`UseStackExchangeRedis`)",
            _ => "the native store with `DistributedLock = true` (a lock round trip per miss)",
        } + (_codec == CacheSerialCodec.Json ? ", `SystemTextJsonCodec(ProductJsonContext.Default)`" : ", `MessagePackCodec` (attributed type)") +
        "; bulk = `GetManyAsync`" + (_store == CacheSerialStore.DistributedCache ? " (parallel single reads)" : " (one `MGET`)") + _memory switch
        {
            CacheSerialMemory.Decoded => "; `UseMemoryTier` (local lifetime = the entry's; hits decode the kept payload)",
            CacheSerialMemory.Shared => "; `UseMemoryTier` + `ShareInstancesOf<Product>()` (hits return the kept instance)",
            _ => "",
        };

    public ValueTask SetupAsync(ContenderEnvironment environment, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        ICacheSerialBuilder builder;
        if (_store == CacheSerialStore.DistributedCache)
        {
            services.AddSingleton<IDistributedCache>(RedisCaches.Create(environment));
            builder = services.AddCacheSerial(o => o.DefaultEntryOptions = new CacheEntryOptions { Expiration = environment.Expiration });
        }
        else
        {
            builder = services.AddCacheSerial(o =>
            {
                o.KeyPrefix = environment.KeyPrefix;
                o.DefaultEntryOptions = new CacheEntryOptions { Expiration = environment.Expiration };
            }).UseStackExchangeRedis(environment.Connection, o => o.DistributedLock = _store == CacheSerialStore.NativeWithLock);
        }

        if (_codec == CacheSerialCodec.Json)
        {
            builder.UseSystemTextJson(ProductJsonContext.Default);
        }
        else
        {
            builder.UseMessagePack();
        }

        if (_memory != CacheSerialMemory.Off)
        {
            builder.UseMemoryTier(o => o.LocalExpiration = environment.Expiration);
        }

        if (_memory == CacheSerialMemory.Shared)
        {
            builder.ShareInstancesOf<Product>();
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

/// <summary>The store a <see cref="CacheSerialContender"/> uses.</summary>
public enum CacheSerialStore
{
    DistributedCache,
    Native,
    NativeWithLock,
}

/// <summary>Whether a <see cref="CacheSerialContender"/> has a memory tier, and how it keeps <see cref="Product"/>.</summary>
public enum CacheSerialMemory
{
    Off,
    Decoded,
    Shared,
}

/// <summary>The codec a <see cref="CacheSerialContender"/> uses.</summary>
public enum CacheSerialCodec
{
    Json,
    MessagePack,
}
