using BenchmarkDotNet.Attributes;
using CacheSerial.Benchmarks.Compare;
using CacheSerial.Benchmarks.Model;

namespace CacheSerial.Benchmarks.Bdn;

/// <summary>Get-or-create of a key never written (read miss + factory + write) through each contender, against Redis.</summary>
[MemoryDiagnoser]
public class MissSetBenchmarks : RedisBenchmarkBase
{
    private static readonly Func<CancellationToken, ValueTask<Product>> Factory = static _ => ValueTask.FromResult(Workload.Expected);
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private long _next;

    [Benchmark]
    public ValueTask<Product> MissAndSet() => Cache.GetOrCreateAsync($"miss:{_run}:{++_next}", Factory, CancellationToken.None);
}
