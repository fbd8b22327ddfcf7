using System.Text.Json;
using BenchmarkDotNet.Attributes;
using CacheSerial.Benchmarks.Compare;
using CacheSerial.Benchmarks.Model;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CacheSerial.Benchmarks.Bdn;

/// <summary>
/// Where a native-store hit's bytes go: StackExchange.Redis's own cost per GET (plain and leased, no deserialize),
/// the floor (GET + deserialize) and CacheSerial's native store hit, on one Redis. A CacheSerial hit minus the object
/// graph, compared with the leased GET alone, is what CacheSerial adds per hit.
/// </summary>
[MemoryDiagnoser]
public class ClientAllocationBenchmarks
{
    private const string Key = "product:1";
    private RedisServerProcess? _server;
    private ConnectionMultiplexer? _connection;
    private IDatabase _database = null!;
    private ServiceProvider? _services;
    private ITypedCache _cache = null!;
    private string _rawKey = string.Empty;

    [GlobalSetup]
    public async Task GlobalSetup()
    {
        (_server, var endpoint) = await RedisBenchmarkBase.StartRedisAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(endpoint);
        _database = _connection.GetDatabase();
        var prefix = $"cacheserial-bdn:{Guid.NewGuid().ToString("N")[..8]}";
        _rawKey = prefix + ":raw";
        var product = ProductSample.Create(1);
        await _database.StringSetAsync(_rawKey, JsonSerializer.SerializeToUtf8Bytes(product, ProductJsonContext.Default.Product), TimeSpan.FromMinutes(10));

        var services = new ServiceCollection();
        services.AddCacheSerial(o =>
            {
                o.KeyPrefix = prefix;
                o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(10) };
            })
            .UseStackExchangeRedis(_connection)
            .UseSystemTextJson(ProductJsonContext.Default);
        _services = services.BuildServiceProvider();
        _cache = _services.GetRequiredService<ITypedCache>();
        await _cache.SetAsync(Key, product);
    }

    [GlobalCleanup]
    public async Task GlobalCleanup()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Benchmark]
    public async Task<int> ClientGet() => ((byte[]?)await _database.StringGetAsync(_rawKey))!.Length;

    [Benchmark]
    public async Task<int> ClientGetLease()
    {
        using var lease = await _database.StringGetLeaseAsync(_rawKey);
        return lease!.Length;
    }

    [Benchmark(Baseline = true)]
    public async Task<Product?> FloorGetDeserialize() =>
        JsonSerializer.Deserialize((byte[]?)await _database.StringGetAsync(_rawKey), ProductJsonContext.Default.Product);

    [Benchmark]
    public async Task<Product?> CacheSerialNativeHit() => (await _cache.TryGetAsync<Product>(Key)).Value;
}
