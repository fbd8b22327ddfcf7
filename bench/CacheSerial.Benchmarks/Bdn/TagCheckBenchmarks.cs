using BenchmarkDotNet.Attributes;
using CacheSerial.Benchmarks.Model;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Benchmarks.Bdn;

/// <summary>
/// What tags cost on a hit (issue 15): a ~1 KB entry written with 0, 1 or 5 tags, read back with and without the memory
/// tier, over a synchronous in-memory store (no network, so only the cache's work is measured). Without the memory tier
/// a hit reads the store, checks the envelope and its tags against the tag markers this process holds (re-read from
/// the store in the background every half <see cref="CacheSerialOptions.TagRefreshInterval"/>), and decodes; with it, a
/// hit checks the tags against the removal times known here, without I/O. One tag has been removed before the entry
/// was written, so the markers hold a real removal time.
/// </summary>
[MemoryDiagnoser]
public class TagCheckBenchmarks
{
    private const string Key = "product:1";

    private ServiceProvider _services = null!;
    private ITypedCache _cache = null!;

    [Params(0, 1, 5)]
    public int Tags { get; set; }

    [Params(false, true)]
    public bool MemoryTier { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        var services = new ServiceCollection();
        var builder = services.AddCacheSerial(o => o.DefaultEntryOptions = new CacheEntryOptions { Expiration = TimeSpan.FromHours(1) })
            .UseStore(_ => new SynchronousStore())
            .UseSystemTextJson(ProductJsonContext.Default);
        if (MemoryTier)
        {
            builder.UseMemoryTier(o => o.LocalExpiration = TimeSpan.FromHours(1));
        }

        _services = services.BuildServiceProvider();
        _cache = _services.GetRequiredService<ITypedCache>();
        var tags = Enumerable.Range(0, Tags).Select(i => $"catalogue:{i}").ToArray();
        await _cache.RemoveByTagAsync("catalogue:0");
        await Task.Delay(5); // the entry must be created after the removal's millisecond
        await _cache.SetAsync(Key, new FrozenProduct(ProductSample.Create(1)), new CacheEntryOptions { Tags = tags });
        if (!(await _cache.TryGetAsync<FrozenProduct>(Key)).HasValue)
        {
            throw new InvalidOperationException("The tagged entry is not a hit: the benchmark would measure misses.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark]
    public async ValueTask<bool> Hit() => (await _cache.TryGetAsync<FrozenProduct>(Key)).HasValue;
}
