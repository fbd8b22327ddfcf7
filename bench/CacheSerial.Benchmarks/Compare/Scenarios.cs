using System.Diagnostics;
using CacheSerial.Benchmarks.Model;

namespace CacheSerial.Benchmarks.Compare;

/// <summary>Table ids of the report.</summary>
public static class MetricIds
{
    public const string HitP50 = "hit-p50";
    public const string HitP99 = "hit-p99";
    public const string HitThroughput = "hit-throughput";
    public const string MissP50 = "miss-p50";
    public const string MissP99 = "miss-p99";
    public const string StampedeWall = "stampede-wall";
    public const string StampedeRuns = "stampede-runs";
    public const string BulkSequential = "bulk-sequential";
    public const string BulkParallel = "bulk-parallel";
    public const string BulkNative = "bulk-native";
    public const string HitAllocation = "hit-allocation";
}

/// <summary>One scenario's numbers for one contender in one round: a value per table, and allocation per operation.</summary>
internal sealed record RoundResult(IReadOnlyDictionary<string, double> Values, double AllocatedBytesPerOp);

/// <summary>A scenario: the tables it fills and how to measure one contender once.</summary>
internal abstract class Scenario
{
    public abstract IReadOnlyList<MetricTable> CreateTables(CompareSettings settings);

    /// <summary>Measures once; null when the scenario does not apply to the contender.</summary>
    public abstract Task<RoundResult?> RunAsync(ICacheContender contender, int round, CancellationToken cancellationToken);

    /// <summary>Why the scenario does not apply, when <see cref="RunAsync"/> returned null.</summary>
    public virtual string NotApplicableReason => string.Empty;

    protected static long AllocatedBytes() => GC.GetTotalAllocatedBytes(precise: true);
}

/// <summary>Keys and the expected value every contender was seeded with.</summary>
public static class Workload
{
    public const string HitKey = "hit:product:1";

    public static readonly Product Expected = ProductSample.Create(1);

    public static IReadOnlyList<string> BulkKeys(int count) => [.. Enumerable.Range(0, count).Select(i => $"bulk:product:{i}")];

    public static Product BulkValue(int index) => ProductSample.Create(1000 + index);
}

/// <summary>(a) One caller, sequential awaited hits: p50 and p99 latency.</summary>
internal sealed class HitLatencyScenario(CompareSettings settings) : Scenario
{
    public override IReadOnlyList<MetricTable> CreateTables(CompareSettings s) =>
    [
        new(MetricIds.HitP50, "a. Hit latency, 1 caller: p50", "µs", lowerIsBetter: true,
            $"One caller awaits {s.LatencyOps:N0} hits of one key per round; each round's p50 is a sample."),
        new(MetricIds.HitP99, "a. Hit latency, 1 caller: p99", "µs", lowerIsBetter: true,
            "The same operations as the p50 table; each round's p99 is a sample."),
    ];

    public override async Task<RoundResult?> RunAsync(ICacheContender contender, int round, CancellationToken cancellationToken)
    {
        var latencies = new double[settings.LatencyOps];
        var before = AllocatedBytes();
        for (var i = 0; i < latencies.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await contender.HitAsync(Workload.HitKey, cancellationToken);
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        var allocated = (AllocatedBytes() - before) / (double)latencies.Length;
        Array.Sort(latencies);
        return new RoundResult(
            new Dictionary<string, double>
            {
                [MetricIds.HitP50] = Statistics.Percentile(latencies, 0.50),
                [MetricIds.HitP99] = Statistics.Percentile(latencies, 0.99),
            },
            allocated);
    }
}

/// <summary>(b) Many concurrent callers hitting one key over the shared multiplexer: operations per second.</summary>
internal sealed class HitThroughputScenario(CompareSettings settings) : Scenario
{
    public override IReadOnlyList<MetricTable> CreateTables(CompareSettings s) =>
    [
        new(MetricIds.HitThroughput, $"b. Hit throughput, {s.ThroughputCallers} concurrent callers", "ops/s", lowerIsBetter: false,
            $"{s.ThroughputCallers} callers loop on hits of one key for {s.ThroughputDuration.TotalSeconds:0.##} s per round, all over the one shared multiplexer. " +
            "A stack that lets concurrent calls of one key share one fetch issues fewer Redis reads than calls here, which one hot key favours."),
    ];

    public override async Task<RoundResult?> RunAsync(ICacheContender contender, int round, CancellationToken cancellationToken)
    {
        var counts = new long[settings.ThroughputCallers];
        var before = AllocatedBytes();
        var clock = Stopwatch.StartNew();

        // The end is read from the tick count in the loop, not from a timer: a memory hit completes synchronously, so
        // 64 looping callers hold every thread-pool thread and a timer's callback would not run until the pool grew.
        var end = Environment.TickCount64 + (long)settings.ThroughputDuration.TotalMilliseconds;
        var callers = new Task[counts.Length];
        for (var c = 0; c < callers.Length; c++)
        {
            var index = c;
            callers[c] = Task.Run(async () =>
            {
                long done = 0;
                while (Environment.TickCount64 < end)
                {
                    await contender.HitAsync(Workload.HitKey, cancellationToken);
                    done++;
                }

                counts[index] = done;
            }, cancellationToken);
        }

        await Task.WhenAll(callers);
        clock.Stop();
        var ops = counts.Sum();
        return new RoundResult(
            new Dictionary<string, double> { [MetricIds.HitThroughput] = ops / clock.Elapsed.TotalSeconds },
            (AllocatedBytes() - before) / (double)Math.Max(ops, 1));
    }
}

/// <summary>(c) One caller, get-or-create on keys never written: read miss + factory + write.</summary>
internal sealed class MissSetScenario(CompareSettings settings) : Scenario
{
    private static readonly Func<CancellationToken, ValueTask<Product>> Factory = static _ => ValueTask.FromResult(Workload.Expected);

    public override IReadOnlyList<MetricTable> CreateTables(CompareSettings s) =>
    [
        new(MetricIds.MissP50, "c. Miss + factory + set latency, 1 caller: p50", "µs", lowerIsBetter: true,
            $"One caller runs get-or-create on {s.MissOps:N0} new keys per round; the factory returns the object at once."),
        new(MetricIds.MissP99, "c. Miss + factory + set latency, 1 caller: p99", "µs", lowerIsBetter: true),
    ];

    public override async Task<RoundResult?> RunAsync(ICacheContender contender, int round, CancellationToken cancellationToken)
    {
        var keys = Enumerable.Range(0, settings.MissOps).Select(i => $"miss:{round}:{i}").ToArray();
        var latencies = new double[keys.Length];
        var before = AllocatedBytes();
        for (var i = 0; i < keys.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await contender.GetOrCreateAsync(keys[i], Factory, cancellationToken);
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        var allocated = (AllocatedBytes() - before) / (double)keys.Length;
        Array.Sort(latencies);
        return new RoundResult(
            new Dictionary<string, double>
            {
                [MetricIds.MissP50] = Statistics.Percentile(latencies, 0.50),
                [MetricIds.MissP99] = Statistics.Percentile(latencies, 0.99),
            },
            allocated);
    }
}

/// <summary>(d) Many concurrent callers of one cold key with a slow factory: factory runs and wall time.</summary>
internal sealed class StampedeScenario(CompareSettings settings) : Scenario
{
    public override IReadOnlyList<MetricTable> CreateTables(CompareSettings s) =>
    [
        new(MetricIds.StampedeRuns, $"d. Stampede, {s.StampedeCallers:N0} callers on one cold key: factory runs", "runs", lowerIsBetter: true,
            $"{s.StampedeCallers:N0} callers are released together on a key never written; the factory waits {s.StampedeFactoryDelay.TotalMilliseconds:0} ms. " +
            "1 run means the callers shared one factory call; contenders without stampede control run it once per caller."),
        new(MetricIds.StampedeWall, $"d. Stampede, {s.StampedeCallers:N0} callers on one cold key: wall time", "ms", lowerIsBetter: true,
            "From releasing the callers to the last one returning (the factory's own wait included)."),
    ];

    public override async Task<RoundResult?> RunAsync(ICacheContender contender, int round, CancellationToken cancellationToken)
    {
        var key = $"stampede:{round}";
        var runs = new Counter();
        Func<CancellationToken, ValueTask<Product>> factory = async ct =>
        {
            Interlocked.Increment(ref runs.Value);
            await Task.Delay(settings.StampedeFactoryDelay, ct);
            return Workload.Expected;
        };
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = new Task[settings.StampedeCallers];
        for (var i = 0; i < callers.Length; i++)
        {
            callers[i] = CallAsync(contender, key, factory, release.Task, cancellationToken);
        }

        var before = AllocatedBytes();
        var clock = Stopwatch.StartNew();
        release.SetResult();
        await Task.WhenAll(callers);
        clock.Stop();
        return new RoundResult(
            new Dictionary<string, double>
            {
                [MetricIds.StampedeRuns] = runs.Value,
                [MetricIds.StampedeWall] = clock.Elapsed.TotalMilliseconds,
            },
            (AllocatedBytes() - before) / (double)callers.Length);

        static async Task CallAsync(ICacheContender contender, string key, Func<CancellationToken, ValueTask<Product>> factory, Task release, CancellationToken ct)
        {
            await release;
            var value = await contender.GetOrCreateAsync(key, factory, ct);
            if (!value.Equals(Workload.Expected))
            {
                throw new InvalidOperationException($"{contender.Name} returned another value than the factory's.");
            }
        }
    }

    private sealed class Counter
    {
        public int Value;
    }
}

/// <summary>(e) Reading 100 present keys: sequentially, in parallel, and with the contender's bulk API if it has one.</summary>
internal sealed class BulkReadScenario(CompareSettings settings, BulkMode mode) : Scenario
{
    public override IReadOnlyList<MetricTable> CreateTables(CompareSettings s) => mode switch
    {
        BulkMode.Sequential =>
        [
            new(MetricIds.BulkSequential, $"e1. Read {s.BulkKeys} keys: {s.BulkKeys} sequential awaited reads", "µs per batch", lowerIsBetter: true,
                $"One caller reads {s.BulkKeys} present keys one after another ({s.BulkBatches} batches per round). Every contender, bulk API or not."),
        ],
        BulkMode.Parallel =>
        [
            new(MetricIds.BulkParallel, $"e2. Read {s.BulkKeys} keys: {s.BulkKeys} parallel reads", "µs per batch", lowerIsBetter: true,
                $"{s.BulkKeys} reads started together and awaited with `Task.WhenAll` (pipelined on the multiplexer)."),
        ],
        _ =>
        [
            new(MetricIds.BulkNative, $"e3. Read {s.BulkKeys} keys: the contender's bulk API", "µs per batch", lowerIsBetter: true,
                "One call for all keys (for the floor: one `MGET`). Contenders without a bulk API show n/a."),
        ],
    };

    public override string NotApplicableReason => "no bulk read API";

    public override async Task<RoundResult?> RunAsync(ICacheContender contender, int round, CancellationToken cancellationToken)
    {
        var bulk = contender as IBulkReadContender;
        if (mode == BulkMode.Native && bulk is null)
        {
            return null;
        }

        var keys = Workload.BulkKeys(settings.BulkKeys);
        var samples = new double[settings.BulkBatches];
        var before = AllocatedBytes();
        for (var b = 0; b < samples.Length; b++)
        {
            var start = Stopwatch.GetTimestamp();
            switch (mode)
            {
                case BulkMode.Sequential:
                    foreach (var key in keys)
                    {
                        await contender.HitAsync(key, cancellationToken);
                    }

                    break;
                case BulkMode.Parallel:
                    await Task.WhenAll(keys.Select(k => contender.HitAsync(k, cancellationToken).AsTask()));
                    break;
                default:
                    var hits = await bulk!.GetManyAsync(keys, cancellationToken);
                    if (hits != keys.Count)
                    {
                        throw new InvalidOperationException($"{contender.Name}: bulk read found {hits} of {keys.Count} keys.");
                    }

                    break;
            }

            samples[b] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        var metric = mode switch { BulkMode.Sequential => MetricIds.BulkSequential, BulkMode.Parallel => MetricIds.BulkParallel, _ => MetricIds.BulkNative };
        return new RoundResult(
            new Dictionary<string, double> { [metric] = Statistics.Median(samples)!.Value },
            (AllocatedBytes() - before) / (double)(samples.Length * keys.Count));
    }
}

internal enum BulkMode
{
    Sequential,
    Parallel,
    Native,
}

/// <summary>(f) Bytes allocated per hit: one caller, sequential awaited hits, no timing.</summary>
internal sealed class HitAllocationScenario(CompareSettings settings) : Scenario
{
    public override IReadOnlyList<MetricTable> CreateTables(CompareSettings s) =>
    [
        new(MetricIds.HitAllocation, "f. Allocated bytes per hit", "B/op", lowerIsBetter: true,
            $"One caller awaits {s.AllocationOps:N0} hits per round; the sample is `GC.GetTotalAllocatedBytes(precise: true)` after minus before, " +
            "divided by the hits. That counter covers every thread: awaited continuations hop threads, so the per-thread " +
            "`GC.GetAllocatedBytesForCurrentThread` would miss part of each hit. It also counts the Redis client's reader thread " +
            "and anything else the process allocates meanwhile (little, with one caller)."),
    ];

    public override async Task<RoundResult?> RunAsync(ICacheContender contender, int round, CancellationToken cancellationToken)
    {
        var before = AllocatedBytes();
        for (var i = 0; i < settings.AllocationOps; i++)
        {
            await contender.HitAsync(Workload.HitKey, cancellationToken);
        }

        var perHit = (AllocatedBytes() - before) / (double)settings.AllocationOps;
        return new RoundResult(new Dictionary<string, double> { [MetricIds.HitAllocation] = perHit }, perHit);
    }
}
