using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using BenchmarkDotNet.Attributes;
using BitFaster.Caching.Lru;
using CacheSerial.Benchmarks.Compare;
using CacheSerial.Benchmarks.Model;
using CacheSerial.MessagePack;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ZiggyCreatures.Caching.Fusion;

namespace CacheSerial.Benchmarks.Bdn;

/// <summary>
/// A hit answered from process memory, without a network: CacheSerial's memory tier against the raw lookups a memory
/// tier could be built on (<c>IMemoryCache.TryGetValue</c>, a BitFaster <c>ConcurrentLru</c>, a
/// <c>ConcurrentDictionary</c>) and against the peers' memory levels (HybridCache's local cache, FusionCache's memory
/// level) for the same types: an immutable one (<see cref="FrozenProduct"/>, shared as one instance by CacheSerial and
/// HybridCache) and an ordinary class (<see cref="Product"/>, decoded per hit by CacheSerial and HybridCache; FusionCache
/// hands out its one instance to every caller).
/// </summary>
[MemoryDiagnoser]
public class MemoryTierBenchmarks
{
    private const string Key = "product:1";

    private readonly ConcurrentDictionary<string, Product> _dictionary = new(StringComparer.Ordinal);
    private readonly ConcurrentLru<string, Product> _lru = new(10_000);
    private MemoryCache _memoryCache = null!;
    private ServiceProvider _services = null!;
    private ITypedCache _json = null!;
    private ITypedCache _messagePack = null!;
    private HybridCache _hybrid = null!;
    private FusionCache _fusion = null!;

    [GlobalSetup]
    public async Task GlobalSetup()
    {
        var product = ProductSample.Create(1);
        var frozen = new FrozenProduct(product);
        _dictionary[Key] = product;
        _lru.AddOrUpdate(Key, product);
        _memoryCache = new MemoryCache(Options.Create(new MemoryCacheOptions()));
        _memoryCache.Set(Key, product);

        var services = new ServiceCollection();
        var hour = new CacheEntryOptions { Expiration = TimeSpan.FromHours(1) };
        services.AddCacheSerial(o => o.DefaultEntryOptions = hour)
            .UseStore(_ => new SynchronousStore())
            .UseSystemTextJson(ProductJsonContext.Default)
            .UseMemoryTier(o => o.LocalExpiration = TimeSpan.FromHours(1));
        services.AddKeyedCacheSerial("msgpack", o => o.DefaultEntryOptions = hour)
            .UseStore(_ => new SynchronousStore())
            .UseMessagePack()
            .UseMemoryTier(o => o.LocalExpiration = TimeSpan.FromHours(1));
        services.AddSingleton<IDistributedCache>(new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions())));
        services.AddHybridCache(o => o.DefaultEntryOptions = new HybridCacheEntryOptions { Expiration = TimeSpan.FromHours(1), LocalCacheExpiration = TimeSpan.FromHours(1) })
            .AddSerializer(new HybridJsonSerializer<Product>(ProductJsonContext.Default.Product))
            .AddSerializer(new HybridJsonSerializer<FrozenProduct>(ProductJsonContext.Default.FrozenProduct));
        _services = services.BuildServiceProvider();

        _json = _services.GetRequiredService<ITypedCache>();
        _messagePack = _services.GetRequiredKeyedService<ITypedCache>("msgpack");
        _hybrid = _services.GetRequiredService<HybridCache>();
        _fusion = new FusionCache(new FusionCacheOptions { DefaultEntryOptions = new FusionCacheEntryOptions { Duration = TimeSpan.FromHours(1) } });
        await _json.SetAsync(Key, product);
        await _json.SetAsync(Key + ":frozen", frozen);
        await _messagePack.SetAsync(Key, product);
        await _hybrid.SetAsync(Key, product);
        await _hybrid.SetAsync(Key + ":frozen", frozen);
        await _fusion.SetAsync(Key, product);
        await _fusion.SetAsync(Key + ":frozen", frozen);
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _memoryCache.Dispose();
        _fusion.Dispose();
        _services.Dispose();
    }

    [Benchmark(Baseline = true)]
    public object? MemoryCache_TryGetValue() => _memoryCache.TryGetValue(Key, out var value) ? value : null;

    [Benchmark]
    public Product? BitFaster_ConcurrentLru_TryGet() => _lru.TryGet(Key, out var value) ? value : null;

    [Benchmark]
    public Product? ConcurrentDictionary_TryGetValue() => _dictionary.TryGetValue(Key, out var value) ? value : null;

    [Benchmark]
    public FrozenProduct CacheSerial_Immutable() => Completed(_json.GetOrCreateAsync(Key + ":frozen", Key, Miss<FrozenProduct>.Factory));

    [Benchmark]
    public Product CacheSerial_Ordinary_Json() => Completed(_json.GetOrCreateAsync(Key, Key, Miss<Product>.Factory));

    [Benchmark]
    public Product CacheSerial_Ordinary_MessagePack() => Completed(_messagePack.GetOrCreateAsync(Key, Key, Miss<Product>.Factory));

    [Benchmark]
    public FrozenProduct HybridCache_Immutable() => Completed(_hybrid.GetOrCreateAsync(Key + ":frozen", Key, Miss<FrozenProduct>.HybridFactory));

    [Benchmark]
    public Product HybridCache_Ordinary_Json() => Completed(_hybrid.GetOrCreateAsync(Key, Key, Miss<Product>.HybridFactory));

    [Benchmark]
    public FrozenProduct FusionCache_Immutable() => Completed(_fusion.GetOrSetAsync<FrozenProduct>(Key + ":frozen", Miss<FrozenProduct>.FusionFactory, default(MaybeValue<FrozenProduct>)));

    [Benchmark]
    public Product FusionCache_Ordinary() => Completed(_fusion.GetOrSetAsync<Product>(Key, Miss<Product>.FusionFactory, default(MaybeValue<Product>)));

    // Every contender answers a memory hit synchronously; a call that does not is a setup error to report.
    private static T Completed<T>(ValueTask<T> call) =>
        call.IsCompletedSuccessfully ? call.Result : throw new InvalidOperationException("A memory hit did not complete synchronously.");

    private static class Miss<T>
    {
        public static readonly Func<string, CacheFactoryContext, CancellationToken, ValueTask<T>> Factory =
            static (key, _, _) => throw new InvalidOperationException($"{key} was expected in memory.");

        public static readonly Func<string, CancellationToken, ValueTask<T>> HybridFactory =
            static (key, _) => throw new InvalidOperationException($"{key} was expected in memory.");

        public static readonly Func<FusionCacheFactoryExecutionContext<T>, CancellationToken, Task<T>> FusionFactory =
            static (_, _) => throw new InvalidOperationException("expected in memory");
    }
}
