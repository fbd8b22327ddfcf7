using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using CacheSerial.Benchmarks.Compare;
using CacheSerial.Benchmarks.Model;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CacheSerial.Benchmarks.Bdn;

/// <summary>
/// CacheSerial's own CPU cost per hit, without a network: the facade over a store that answers synchronously from
/// memory, against the same System.Text.Json deserialize of the same object (the floor's work besides its round trip).
/// The difference is what CacheSerial adds to each Redis hit (envelope, key check, breaker, metrics, codec dispatch).
/// </summary>
[MemoryDiagnoser]
public class OverheadBenchmarks
{
    private const string Key = "product:1";
    private const string MissKey = "product:miss";
    private static readonly Func<string, CacheFactoryContext, CancellationToken, ValueTask<Product>> MissNotExpected =
        static (key, _, _) => throw new InvalidOperationException($"{key} was expected to be cached.");

    private byte[] _json = [];
    private Product _product = null!;
    private ServiceProvider? _services;
    private ITypedCache _cache = null!;

    [GlobalSetup]
    public async Task GlobalSetup()
    {
        var product = ProductSample.Create(1);
        _product = product;
        _json = JsonSerializer.SerializeToUtf8Bytes(product, ProductJsonContext.Default.Product);
        var services = new ServiceCollection();
        services.AddCacheSerial(o => o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromHours(1) })
            .UseStore(_ => new SynchronousStore())
            .UseSystemTextJson(ProductJsonContext.Default);
        _services = services.BuildServiceProvider();
        _cache = _services.GetRequiredService<ITypedCache>();
        await _cache.SetAsync(Key, product);
    }

    [GlobalCleanup]
    public void GlobalCleanup() => _services?.Dispose();

    [Benchmark(Baseline = true)]
    public Product? Deserialize() => JsonSerializer.Deserialize(_json, ProductJsonContext.Default.Product);

    [Benchmark]
    public Product? TryGet() => Completed(_cache.TryGetAsync<Product>(Key)).Value;

    [Benchmark]
    public Product GetOrCreate() => Completed(_cache.GetOrCreateAsync(Key, Key, MissNotExpected));

    /// <summary>A remove, then a get-or-create that misses, runs the factory and writes: the miss path's own CPU and allocations.</summary>
    [Benchmark]
    public Product MissAndSet()
    {
        Completed(_cache.RemoveAsync(MissKey));
        return Completed(_cache.GetOrCreateAsync(MissKey, _product, static (p, _, _) => new ValueTask<Product>(p)));
    }

    // A hit over a store that answers synchronously completes synchronously; anything else is a regression to report.
    private static void Completed(ValueTask call)
    {
        if (!call.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("A call over a synchronous store did not complete synchronously.");
        }
    }

    private static T Completed<T>(ValueTask<T> call) =>
        call.IsCompletedSuccessfully ? call.Result : throw new InvalidOperationException("A hit over a synchronous store did not complete synchronously.");
}

/// <summary>
/// Each stack's own CPU cost per hit without a network, for the stacks that read through an IDistributedCache: every
/// contender of the comparison that uses one, over one in-memory <c>MemoryDistributedCache</c> that answers
/// synchronously. With the network gone, what is left is each library's work per hit (plus the same deserialize).
/// </summary>
[MemoryDiagnoser]
public class PeerOverheadBenchmarks
{
    private ICacheContender _contender = null!;

    /// <summary>The comparison's contenders that read through an IDistributedCache, remote reads only.</summary>
    public static IEnumerable<string> Stacks =>
    [
        "CacheSerial JSON",
        "CacheSerial MessagePack",
        "HybridCache (distributed only)",
        "FusionCache (distributed only)",
        "RedisCache + STJ",
    ];

    [ParamsSource(nameof(Stacks))]
    public string Stack { get; set; } = string.Empty;

    [GlobalSetup]
    public async Task GlobalSetup()
    {
        _contender = ContenderCatalog.CreateAll().Single(c => c.Name == Stack);
        var memory = new PassThroughCache(new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions())));
        // No Redis: these contenders only touch the IDistributedCache they are given.
        await _contender.SetupAsync(new ContenderEnvironment(null!, "overhead:", TimeSpan.FromHours(1), memory), CancellationToken.None);
        await CompareRunner.SeedAndVerifyAsync(_contender, bulkKeys: 0, CancellationToken.None);
    }

    [GlobalCleanup]
    public ValueTask GlobalCleanup() => _contender.DisposeAsync();

    [Benchmark]
    public ValueTask<Product> Hit() => _contender.HitAsync(Workload.HitKey, CancellationToken.None);

    /// <summary>
    /// Hides the in-memory cache's type: HybridCache treats a <c>MemoryDistributedCache</c> as no second level at all
    /// (it would only duplicate its own memory cache), which would make every one of its reads here a miss.
    /// </summary>
    private sealed class PassThroughCache(IDistributedCache inner) : IDistributedCache
    {
        public byte[]? Get(string key) => inner.Get(key);

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => inner.GetAsync(key, token);

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => inner.Set(key, value, options);

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
            inner.SetAsync(key, value, options, token);

        public void Refresh(string key) => inner.Refresh(key);

        public Task RefreshAsync(string key, CancellationToken token = default) => inner.RefreshAsync(key, token);

        public void Remove(string key) => inner.Remove(key);

        public Task RemoveAsync(string key, CancellationToken token = default) => inner.RemoveAsync(key, token);
    }
}
