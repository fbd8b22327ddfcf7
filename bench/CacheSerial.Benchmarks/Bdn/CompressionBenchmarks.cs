using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using CacheSerial.Benchmarks.Model;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Benchmarks.Bdn;

/// <summary>
/// Payload compression per algorithm (issue 15): the time to write (encode + compress) and to read (decompress +
/// decode) a ~1 KB <see cref="Product"/> and a ~100 KB page of 100 products through the public API, over a synchronous
/// in-memory store (no network, so only the cache's work is measured), and the bytes the store holds (the
/// "Stored bytes" column). <c>None</c> is the baseline: the same envelope and codec without compression. The threshold
/// is 0 here so the 1 KB object is compressed too; the default threshold (1 KiB) decides that in production.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(StoredBytesConfig))]
public class CompressionBenchmarks
{
    private const string Key = "compressed";

    private ServiceProvider _services = null!;
    private ITypedCache _cache = null!;
    private object _value = null!;

    [Params(CacheCompressionAlgorithm.None, CacheCompressionAlgorithm.GZip, CacheCompressionAlgorithm.Brotli,
        CacheCompressionAlgorithm.Zstd, CacheCompressionAlgorithm.Lz4)]
    public CacheCompressionAlgorithm Algorithm { get; set; }

    [Params("1 KB", "100 KB")]
    public string Size { get; set; } = "1 KB";

    [Params("stj", "msgpack")]
    public string Codec { get; set; } = "stj";

    [GlobalSetup]
    public async Task Setup()
    {
        (_services, _cache, _) = Build(Algorithm, Codec);
        _value = Value(Size);
        await Write();
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark]
    public ValueTask Write() => _value is Product product ? _cache.SetAsync(Key, product) : _cache.SetAsync(Key, (Product[])_value);

    [Benchmark]
    public async ValueTask<bool> Read() =>
        _value is Product
            ? (await _cache.TryGetAsync<Product>(Key)).HasValue
            : (await _cache.TryGetAsync<Product[]>(Key)).HasValue;

    /// <summary>The store's bytes for one entry of <paramref name="size"/> (envelope included).</summary>
    internal static int StoredBytes(CacheCompressionAlgorithm algorithm, string size, string codec)
    {
        var (services, cache, store) = Build(algorithm, codec);
        using (services)
        {
            var value = Value(size);
            var write = value is Product product ? cache.SetAsync(Key, product) : cache.SetAsync(Key, (Product[])value);
            write.AsTask().GetAwaiter().GetResult();
            return store.LengthOf(Key);
        }
    }

    private static (ServiceProvider, ITypedCache, SynchronousStore) Build(CacheCompressionAlgorithm algorithm, string codec)
    {
        var store = new SynchronousStore();
        var services = new ServiceCollection();
        var builder = services.AddCacheSerial(o =>
        {
            o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromHours(1) };
            o.Compression = new CacheCompressionOptions { Algorithm = algorithm, Threshold = 0 };
        }).UseStore(_ => store);
        _ = codec == "stj" ? builder.UseSystemTextJson(ProductJsonContext.Default) : builder.UseMessagePack(Serializers.MessagePack);
        var provider = services.BuildServiceProvider();
        return (provider, provider.GetRequiredService<ITypedCache>(), store);
    }

    private static object Value(string size) =>
        size == "1 KB" ? ProductSample.Create(1) : Enumerable.Range(1, 100).Select(ProductSample.Create).ToArray();

    private sealed class StoredBytesConfig : ManualConfig
    {
        public StoredBytesConfig() => AddColumn(new StoredBytesColumn());
    }

    /// <summary>The stored entry's size for the row's parameters, computed by writing it once.</summary>
    private sealed class StoredBytesColumn : IColumn
    {
        private static readonly ConcurrentDictionary<(CacheCompressionAlgorithm, string, string), int> Sizes = new();

        public string Id => nameof(StoredBytesColumn);

        public string ColumnName => "Stored bytes";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Size;

        public string Legend => "The bytes the store holds for the entry (envelope, tags none, payload as stored)";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            var algorithm = (CacheCompressionAlgorithm)benchmarkCase.Parameters[nameof(Algorithm)]!;
            var size = (string)benchmarkCase.Parameters[nameof(Size)]!;
            var codec = (string)benchmarkCase.Parameters[nameof(Codec)]!;
            return Sizes.GetOrAdd((algorithm, size, codec), static k => StoredBytes(k.Item1, k.Item2, k.Item3)).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        }

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}
