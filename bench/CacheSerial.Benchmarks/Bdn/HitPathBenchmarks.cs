using BenchmarkDotNet.Attributes;
using CacheSerial.Benchmarks.Compare;
using CacheSerial.Benchmarks.Model;

namespace CacheSerial.Benchmarks.Bdn;

/// <summary>One hit of a present key through each compare-harness contender, against Redis.</summary>
[MemoryDiagnoser]
public class HitPathBenchmarks : RedisBenchmarkBase
{
    [Benchmark]
    public ValueTask<Product> Hit() => Cache.HitAsync(Workload.HitKey, CancellationToken.None);
}
