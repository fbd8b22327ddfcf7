using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using CacheSerial.Benchmarks.Model;
using MessagePack;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CacheSerial.Benchmarks.Bdn;

/// <summary>
/// CacheSerial's facade + envelope + codec cost, isolated from the network: <see cref="ITypedCache"/> over an in-memory
/// <see cref="MemoryDistributedCache"/> against the raw serializer over the same store. Public API only.
/// MemoryDistributedCache is not an IBufferDistributedCache, so CacheSerial takes its byte-array path here.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class EnvelopeBenchmarks
{
    private const string Key = "product:1";
    private readonly Product _product = ProductSample.Create(1);
    private readonly DistributedCacheEntryOptions _storeOptions = new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) };
    private MemoryDistributedCache _store = null!;
    private ServiceProvider _services = null!;
    private ITypedCache _json = null!;
    private ITypedCache _messagePack = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _store = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions()));
        var services = new ServiceCollection();
        services.AddSingleton<IDistributedCache>(_store);
        services.AddCacheSerial(o => o.KeyPrefix = "json").UseSystemTextJson(ProductJsonContext.Default);
        services.AddKeyedCacheSerial("msgpack", o => o.KeyPrefix = "msgpack").UseMessagePack(Serializers.MessagePack);
        _services = services.BuildServiceProvider();
        _json = _services.GetRequiredService<ITypedCache>();
        _messagePack = _services.GetRequiredKeyedService<ITypedCache>("msgpack");

        await _json.SetAsync(Key, _product);
        await _messagePack.SetAsync(Key, _product);
        await _store.SetAsync("raw-json:" + Key, JsonSerializer.SerializeToUtf8Bytes(_product, ProductJsonContext.Default.Product), _storeOptions);
        await _store.SetAsync("raw-msgpack:" + Key, MessagePackSerializer.Serialize(_product, Serializers.MessagePack), _storeOptions);
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [BenchmarkCategory("JSON get"), Benchmark(Baseline = true)]
    public async Task<Product> Json_Raw_Get() =>
        JsonSerializer.Deserialize((await _store.GetAsync("raw-json:" + Key))!, ProductJsonContext.Default.Product)!;

    [BenchmarkCategory("JSON get"), Benchmark]
    public async Task<Product> Json_CacheSerial_TryGet() => (await _json.TryGetAsync<Product>(Key)).Value!;

    [BenchmarkCategory("JSON set"), Benchmark(Baseline = true)]
    public Task Json_Raw_Set() =>
        _store.SetAsync("raw-json:" + Key, JsonSerializer.SerializeToUtf8Bytes(_product, ProductJsonContext.Default.Product), _storeOptions);

    [BenchmarkCategory("JSON set"), Benchmark]
    public ValueTask Json_CacheSerial_Set() => _json.SetAsync(Key, _product);

    [BenchmarkCategory("MessagePack get"), Benchmark(Baseline = true)]
    public async Task<Product> MessagePack_Raw_Get() =>
        MessagePackSerializer.Deserialize<Product>((await _store.GetAsync("raw-msgpack:" + Key))!, Serializers.MessagePack);

    [BenchmarkCategory("MessagePack get"), Benchmark]
    public async Task<Product> MessagePack_CacheSerial_TryGet() => (await _messagePack.TryGetAsync<Product>(Key)).Value!;

    [BenchmarkCategory("MessagePack set"), Benchmark(Baseline = true)]
    public Task MessagePack_Raw_Set() =>
        _store.SetAsync("raw-msgpack:" + Key, MessagePackSerializer.Serialize(_product, Serializers.MessagePack), _storeOptions);

    [BenchmarkCategory("MessagePack set"), Benchmark]
    public ValueTask MessagePack_CacheSerial_Set() => _messagePack.SetAsync(Key, _product);
}
