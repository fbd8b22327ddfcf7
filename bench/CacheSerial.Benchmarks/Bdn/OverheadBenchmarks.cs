using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using CacheSerial.Benchmarks.Model;
using Microsoft.Extensions.DependencyInjection;

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
    private static readonly Func<string, CacheFactoryContext, CancellationToken, ValueTask<Product>> MissNotExpected =
        static (key, _, _) => throw new InvalidOperationException($"{key} was expected to be cached.");

    private byte[] _json = [];
    private ServiceProvider? _services;
    private ITypedCache _cache = null!;

    [GlobalSetup]
    public async Task GlobalSetup()
    {
        var product = ProductSample.Create(1);
        _json = JsonSerializer.SerializeToUtf8Bytes(product, ProductJsonContext.Default.Product);
        var services = new ServiceCollection();
        services.AddCacheSerial(o => o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromHours(1) })
            .UseStore(_ => new MemoryStore())
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

    // A hit over a store that answers synchronously completes synchronously; anything else is a regression to report.
    private static T Completed<T>(ValueTask<T> call) =>
        call.IsCompletedSuccessfully ? call.Result : throw new InvalidOperationException("A hit over a synchronous store did not complete synchronously.");

    /// <summary>Answers from a dictionary, synchronously: no I/O, so only the facade's work is measured.</summary>
    private sealed class MemoryStore : ICacheStore
    {
        private readonly ConcurrentDictionary<string, byte[]> _entries = new(StringComparer.Ordinal);

        public ValueTask<bool> TryGetAsync(string key, TimeSpan? slidingExpiration, IBufferWriter<byte> destination, CancellationToken cancellationToken = default)
        {
            if (!_entries.TryGetValue(key, out var value))
            {
                return new(false);
            }

            destination.Write(value);
            return new(true);
        }

        public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, CacheStoreEntryOptions options, CancellationToken cancellationToken = default)
        {
            _entries[key] = value.ToArray();
            return ValueTask.CompletedTask;
        }

        public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
        {
            _entries.TryRemove(key, out _);
            return ValueTask.CompletedTask;
        }

        public ValueTask RefreshAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
